// How the endpoint writes a subscription to the client: as an SSE response
// (serveStream: parked in the event loop, or relayed by this thread) or, in
// JSON response mode, as the one response message it waits for
// (awaitResponse).
#include <sstream>

#include <Poco/Exception.h>
#include <Poco/Net/HTTPServerResponse.h>

#include "http/connection_guard.h"
#include "http/endpoint.h"
#include "http/http_error.h"
#include "http/parked_streams.h"
#include "http/sse.h"

namespace mcpkeep::http {

using nlohmann::json;
using Poco::Net::HTTPServerResponse;

namespace {

// What a parked stream holds while it is open.
struct ParkedHold {
  ParkedHold(StreamSlots::Slot s, Metrics& metrics) : slot(std::move(s)), open(metrics), parked(metrics) {}
  StreamSlots::Slot slot;
  Metrics::OpenStream open;
  Metrics::ParkedStream parked;
};

}  // namespace

RelaySettings Endpoint::relaySettings() const {
  return {options_.retry, options_.keep_alive_interval, options_.close_streams_after, options_.metrics};
}

void Endpoint::serveStream(HTTPServerResponse& response, Subscription& subscription,
                           const StreamStart& start, std::optional<StreamSlots::Slot> park_with) {
  // Look at the first delivery before the headers go out, so a resume that
  // starts with a gap can say so in a header too.
  const Delivery first = subscription.next(std::chrono::milliseconds(0));
  if (start.resumed && first.kind == Delivery::Kind::kStreamEnded) {
    // Nothing is left and nothing will come. 204 rather than an empty
    // stream: clients that reconnect whenever a stream closes stop here.
    response.setStatusAndReason(HTTPServerResponse::HTTP_NO_CONTENT);
    response.setContentLength(0);
    response.send();
    return;
  }
  response.setStatusAndReason(HTTPServerResponse::HTTP_OK);
  response.setContentType("text/event-stream");
  response.set("Cache-Control", "no-cache");
  response.setChunkedTransferEncoding(true);
  if (!start.new_session_id.empty()) response.set("Mcp-Session-Id", start.new_session_id);
  if (first.kind == Delivery::Kind::kGap) response.set("Mcp-Replay-Gap", "true");

  SseRelay sse(relaySettings(), true, !start.priming_id.empty() || start.resumed, resumed_);
  std::string body;
  if (!start.priming_id.empty()) appendSsePriming(body, start.priming_id, options_.retry);
  const bool ended = sse.take(first, subscription, body) == SseRelay::Next::kEnd;

  int fd = -1;
  if (park_with && options_.parking && (fd = ConnectionGuard::detach()) >= 0) {
    // Headers and all go out from the event loop; this thread is free.
    response.setKeepAlive(false);
    std::ostringstream head;
    response.write(head);
    options_.parking->park(fd, head.str(), std::move(body), ended, std::move(subscription),
                           std::move(sse),
                           std::make_shared<ParkedHold>(std::move(*park_with), *options_.metrics));
    return;
  }
  std::ostream& out = response.send();
  const Metrics::OpenStream open(*options_.metrics);
  try {
    out << body;
    if (ended) {
      out.flush();
      return;
    }
  } catch (const Poco::Exception&) {
    return;
  } catch (const std::ios_base::failure&) {
    return;
  }
  relay(out, subscription, sse);
}

bool Endpoint::relay(std::ostream& out, Subscription& subscription, SseRelay& sse) {
  using Clock = std::chrono::steady_clock;
  std::string text;
  const auto write = [&] {
    out << text;
    text.clear();
    out.flush();
    return static_cast<bool>(out);
  };
  try {
    // Write on while more is ready; flush only before waiting, so a burst
    // (the priming event and a quick response) goes out in one write.
    std::chrono::milliseconds wait(0);
    for (;;) {
      const Delivery next = subscription.next(wait);
      const bool waited = wait.count() > 0;
      wait = std::chrono::milliseconds(0);
      switch (sse.take(next, subscription, text)) {
        case SseRelay::Next::kEnd:
          write();
          return sse.streamEnded();
        case SseRelay::Next::kMore:
          continue;
        case SseRelay::Next::kWait:
          break;
      }
      // Idle: a keep-alive after a wait that brought nothing, or let go.
      const auto now = Clock::now();
      if (now >= sse.letGoAt()) {
        sse.letGo(text);
        write();
        return false;
      }
      if (waited) sse.keepAlive(text);
      if (!write()) return false;  // the client went away
      wait = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::min<Clock::duration>(options_.keep_alive_interval, sse.letGoAt() - now)) +
             std::chrono::milliseconds(1);
    }
  } catch (const Poco::Exception&) {
    // The client went away mid-write; what it missed stays in the store.
  } catch (const std::ios_base::failure&) {
  }
  return false;
}

std::optional<json> Endpoint::awaitResponse(Subscription& subscription) {
  std::optional<json> response;
  for (;;) {
    const Delivery next = subscription.next(options_.keep_alive_interval);
    switch (next.kind) {
      case Delivery::Kind::kEvent: {
        // Notifications on the way are stored but not sent: a JSON answer
        // carries one message.
        json message = json::parse(next.event.data, nullptr, false);
        if (message.is_object() && message.contains("id") && !message.contains("method")) {
          response = std::move(message);
        }
        break;
      }
      case Delivery::Kind::kStreamEnded:
        return response;
      case Delivery::Kind::kShutdown:
        throw HttpError(503, kServerError, "the server shut down before the request was answered");
      default:
        break;
    }
  }
}

}  // namespace mcpkeep::http
