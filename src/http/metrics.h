// http::Metrics: the server's counters, and the Prometheus text exposition
// (format 0.0.4) of them together with the store's (events, commits and
// their latency, group-commit batch sizes, sessions, file sizes). Each
// metric is documented in README.md ("Metrics").
//
// Thread safety: every member is safe to call from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include <mcpkeep/store.h>

namespace mcpkeep::http {

class Metrics {
 public:
  // An HTTP request answered with `status`.
  void request(const std::string& http_method, int status);
  // A JSON-RPC request; methods MCP does not define count as "other".
  void rpcRequest(const std::string& method);
  void sessionCreated() { ++sessions_created_; }
  void sessionDeleted() { ++sessions_deleted_; }
  // A GET with Last-Event-ID that resumed a stream.
  void replay() { ++replays_; }
  // An event written to an SSE stream; `resumed` for a stream opened with
  // Last-Event-ID.
  void eventSent(bool resumed) {
    ++events_sent_;
    if (resumed) ++events_replayed_;
  }
  // A gap (events deleted by retention) told to a resuming client.
  void gap() { ++gaps_; }

  // Holds one unit of a gauge while it lives.
  class Count {
   public:
    explicit Count(std::atomic<int64_t>& gauge) : gauge_(gauge) { ++gauge_; }
    ~Count() { --gauge_; }
    Count(const Count&) = delete;
    Count& operator=(const Count&) = delete;

   private:
    std::atomic<int64_t>& gauge_;
  };
  // Counts an SSE stream open (on a thread or parked).
  class OpenStream : public Count {
   public:
    explicit OpenStream(Metrics& m) : Count(m.streams_open_) {}
  };
  // Counts an SSE stream waiting in the event loop rather than on a thread.
  class ParkedStream : public Count {
   public:
    explicit ParkedStream(Metrics& m) : Count(m.streams_parked_) {}
  };

  // Everything, with the store's figures, in Prometheus text format.
  // `connections`: connections being served now.
  std::string exposition(const Store& store, int connections) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, int64_t> requests_;
  std::map<std::string, int64_t> rpc_requests_;
  std::atomic<int64_t> sessions_created_{0}, sessions_deleted_{0}, replays_{0}, events_sent_{0},
      events_replayed_{0}, gaps_{0}, streams_open_{0}, streams_parked_{0};
};

}  // namespace mcpkeep::http
