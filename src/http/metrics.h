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

  // Counts the SSE streams open while it lives.
  class OpenStream {
   public:
    explicit OpenStream(Metrics& m) : m_(m) { ++m_.streams_open_; }
    ~OpenStream() { --m_.streams_open_; }
    OpenStream(const OpenStream&) = delete;
    OpenStream& operator=(const OpenStream&) = delete;

   private:
    Metrics& m_;
  };

  // Everything, with the store's figures, in Prometheus text format.
  // `connections`: connections being served now.
  std::string exposition(const Store& store, int connections) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, int64_t> requests_;
  std::map<std::string, int64_t> rpc_requests_;
  std::atomic<int64_t> sessions_created_{0}, sessions_deleted_{0}, replays_{0}, events_sent_{0},
      events_replayed_{0}, gaps_{0}, streams_open_{0};
};

}  // namespace mcpkeep::http
