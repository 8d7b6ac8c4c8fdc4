// http::SseRelay: what a stream's deliveries become on an SSE response, and
// when the response ends. Shared by the thread that serves a response
// (Endpoint::relay) and the event loop that serves parked ones
// (ParkedStreams), so both write the same bytes.
//
// Thread safety: one thread at a time.
#pragma once

#include <chrono>
#include <string>

#include <mcpkeep/hub.h>

#include "http/metrics.h"

namespace mcpkeep::http {

struct RelaySettings {
  std::chrono::milliseconds retry;                // the hint sent when letting go
  std::chrono::milliseconds keep_alive_interval;  // a comment after this long idle
  std::chrono::milliseconds close_streams_after;  // 0: never let go for age
  Metrics* metrics;
};

class SseRelay {
 public:
  // `may_let_go`: the response may end before its stream does (Hub::disconnect,
  // close_streams_after), once the client holds an id of the stream to
  // resume from (`client_holds_id`: a priming event or Last-Event-ID did it).
  // `resumed`: the client sent Last-Event-ID (for the metrics).
  SseRelay(const RelaySettings& settings, bool may_let_go, bool client_holds_id, bool resumed);

  enum class Next {
    kMore,  // ask the subscription for more
    kWait,  // nothing now (kTimeout): wait for news, a keep-alive or letGoAt()
    kEnd,   // the response ends after what was appended
  };
  // Appends what `delivery`, just taken from `from`, becomes to `out`.
  Next take(const Delivery& delivery, const Subscription& from, std::string& out);

  // Appends a keep-alive comment.
  void keepAlive(std::string& out) const;
  // When the response must let go of its client though nothing came
  // (close_streams_after); time_point::max() if never.
  std::chrono::steady_clock::time_point letGoAt() const;
  // Lets go: appends the retry hint; the response ends after it.
  void letGo(std::string& out) const;
  // True once the stream itself ended (not merely this response).
  bool streamEnded() const { return stream_ended_; }
  const RelaySettings& settings() const { return settings_; }

 private:
  RelaySettings settings_;
  bool may_let_go_;
  bool client_holds_id_;
  bool resumed_;
  bool stream_ended_ = false;
  std::chrono::steady_clock::time_point opened_;
};

}  // namespace mcpkeep::http
