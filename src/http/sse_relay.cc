#include "http/sse_relay.h"

#include <nlohmann/json.hpp>

#include "http/sse.h"

namespace mcpkeep::http {

using Clock = std::chrono::steady_clock;

SseRelay::SseRelay(const RelaySettings& settings, bool may_let_go, bool client_holds_id, bool resumed)
    : settings_(settings),
      may_let_go_(may_let_go),
      client_holds_id_(client_holds_id),
      resumed_(resumed),
      opened_(Clock::now()) {}

SseRelay::Next SseRelay::take(const Delivery& next, const Subscription& from, std::string& out) {
  switch (next.kind) {
    case Delivery::Kind::kEvent:
      appendSseEvent(out, next.event.id, next.event.type, next.event.data);
      settings_.metrics->eventSent(resumed_);
      client_holds_id_ = true;
      return Next::kMore;
    case Delivery::Kind::kGap:
      // No id: the client's Last-Event-ID stays where it was.
      appendSseEvent(out, std::string(), "mcpkeep-gap", nlohmann::json{{"gap", true}, {"after", from.lastEventId()}}.dump());
      settings_.metrics->gap();
      return Next::kMore;
    case Delivery::Kind::kTimeout:
      return Next::kWait;
    case Delivery::Kind::kDisconnect:
      if (may_let_go_ && client_holds_id_) {
        letGo(out);
        return Next::kEnd;
      }
      return Next::kMore;  // the client could not resume: keep the connection
    case Delivery::Kind::kShutdown:
      letGo(out);  // come back when we are
      return Next::kEnd;
    case Delivery::Kind::kStreamEnded:
      stream_ended_ = true;
      return Next::kEnd;
  }
  return Next::kWait;
}

void SseRelay::keepAlive(std::string& out) const { appendSseComment(out, "keep-alive"); }

Clock::time_point SseRelay::letGoAt() const {
  if (!may_let_go_ || !client_holds_id_ || settings_.close_streams_after <= std::chrono::milliseconds(0)) {
    return Clock::time_point::max();
  }
  return opened_ + settings_.close_streams_after;
}

void SseRelay::letGo(std::string& out) const { appendSseRetry(out, settings_.retry); }

}  // namespace mcpkeep::http
