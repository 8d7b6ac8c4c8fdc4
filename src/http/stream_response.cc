// How the endpoint writes a subscription to the client: as an SSE response
// (serveStream, relay) or, in JSON response mode, as the one response
// message it waits for (awaitResponse).
#include <Poco/Exception.h>
#include <Poco/Net/HTTPServerResponse.h>

#include "http/endpoint.h"
#include "http/http_error.h"
#include "http/sse.h"

namespace mcpkeep::http {

using nlohmann::json;
using Poco::Net::HTTPServerResponse;

void Endpoint::serveStream(HTTPServerResponse& response, Subscription& subscription,
                           const StreamStart& start) {
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
  std::ostream& out = response.send();
  const Metrics::OpenStream open(*options_.metrics);
  if (!start.priming_id.empty()) writeSsePriming(out, start.priming_id, options_.retry);
  relay(out, subscription, first, true, !start.priming_id.empty() || start.resumed);
}

bool Endpoint::relay(std::ostream& out, Subscription& subscription, Delivery next, bool may_let_go,
                     bool client_holds_id) {
  using std::chrono::milliseconds;
  const auto opened = std::chrono::steady_clock::now();
  const auto let_go = [&] {
    writeSseRetry(out, options_.retry);  // when to come back
    out.flush();
    return false;
  };
  bool idle = false;  // the first look did not wait: no keep-alive yet
  try {
    for (;;) {
      switch (next.kind) {
        case Delivery::Kind::kEvent:
          writeSseEvent(out, next.event.id, next.event.type, next.event.data);
          options_.metrics->eventSent(resumed_);
          client_holds_id = true;
          break;
        case Delivery::Kind::kGap:
          // No id: the client's Last-Event-ID stays where it was.
          writeSseEvent(out, std::string(), "mcpkeep-gap",
                        json{{"gap", true}, {"after", subscription.lastEventId()}}.dump());
          options_.metrics->gap();
          break;
        case Delivery::Kind::kTimeout:
          if (idle) writeSseComment(out, "keep-alive");
          break;
        case Delivery::Kind::kDisconnect:
          if (may_let_go && client_holds_id) return let_go();
          break;  // the client could not resume: keep the connection
        case Delivery::Kind::kShutdown:
          return let_go();  // come back when we are
        case Delivery::Kind::kStreamEnded:
          out.flush();
          return true;
      }
      // Write on while more is ready; flush only before waiting, so a burst
      // (the priming event and a quick response) goes out in one write.
      next = subscription.next(milliseconds(0));
      if (next.kind != Delivery::Kind::kTimeout) continue;
      out.flush();
      if (!out) return false;  // the client went away
      milliseconds wait = options_.keep_alive_interval;
      if (may_let_go && client_holds_id && options_.close_streams_after > milliseconds(0)) {
        const auto open_for = std::chrono::duration_cast<milliseconds>(
            std::chrono::steady_clock::now() - opened);
        if (open_for >= options_.close_streams_after) return let_go();
        wait = std::min(wait, options_.close_streams_after - open_for);
      }
      next = subscription.next(wait);
      idle = true;
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
