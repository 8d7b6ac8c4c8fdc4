#include "http/endpoint.h"

#include <iostream>

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Timestamp.h>

#include "http/http_error.h"
#include "http/sse.h"
#include "mcp/json_rpc.h"
#include "mcp/protocol_version.h"

namespace mcpkeep::http {

using nlohmann::json;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

void logLine(const std::string& text) {
  std::cerr << Poco::DateTimeFormatter::format(Poco::Timestamp(), Poco::DateTimeFormat::ISO8601_FRAC_FORMAT)
            << " mcpkeep: " << text << std::endl;
}

void sendError(HTTPServerResponse& response, int status, int rpc_code, const std::string& message) {
  const std::string body = mcp::errorMessage(nullptr, rpc_code, message).dump();
  response.setStatusAndReason(static_cast<HTTPServerResponse::HTTPStatus>(status));
  if (status == 401) response.set("WWW-Authenticate", "Bearer");
  response.setContentType("application/json");
  response.setContentLength(static_cast<std::streamsize>(body.size()));
  response.send() << body;
}

void Endpoint::handleRequest(HTTPServerRequest& request, HTTPServerResponse& response) {
  try {
    checkHostAndOrigin(request, options_.guards);
    checkAuth(request, options_.guards);
    const std::string& method = request.getMethod();
    if (method == "POST") {
      post(request, response);
    } else if (method == "GET") {
      get(request, response);
    } else if (method == "DELETE") {
      remove(request, response);
    } else {
      response.set("Allow", "GET, POST, DELETE");
      throw HttpError(405, kServerError, "method " + method + " is not allowed here");
    }
    return;
  } catch (const HttpError& e) {
    if (!response.sent()) sendError(response, e.status(), e.rpcCode(), e.what());
    if (e.status() >= 500) logLine(std::string("error: ") + e.what());
    return;
  } catch (const mcp::RpcError& e) {
    if (!response.sent()) sendError(response, 400, e.code(), e.what());
    return;
  } catch (const Error& e) {
    const HttpError http = toHttpError(e);
    if (!response.sent()) sendError(response, http.status(), http.rpcCode(), http.what());
    if (http.status() >= 500) logLine(std::string("error: ") + errorCodeName(e.code()) + ": " + e.what());
    return;
  } catch (const std::exception& e) {
    logLine(std::string("error: ") + e.what());
    if (!response.sent()) sendError(response, 500, mcp::kInternalError, "internal error");
  }
}

Session Endpoint::requireSession(const HTTPServerRequest& request) {
  const std::string id = requireSessionId(request);
  Store& store = mcp_.hub().store();
  std::optional<Session> session = store.session(id);
  if (!session) throw HttpError(404, kSessionNotFound, "session not found (expired or deleted): initialize again");
  store.touchSession(id);
  return *session;
}

void Endpoint::post(HTTPServerRequest& request, HTTPServerResponse& response) {
  checkAccept(request, {"application/json", "text/event-stream"});
  checkJsonContentType(request);
  const json message = mcp::parseBody(readBody(request, options_.guards));
  if (message.is_array()) {
    throw HttpError(400, mcp::kInvalidRequest, "JSON-RPC batches are not supported");
  }
  const mcp::MessageKind kind = mcp::classify(message);
  Hub& hub = mcp_.hub();

  if (kind == mcp::MessageKind::kRequest && message["method"] == "initialize") {
    const McpServer::Dispatch dispatch = mcp_.handleRequest(std::string(), message);
    if (dispatch.rejection) {
      const std::string body = dispatch.rejection->dump();
      response.setStatusAndReason(HTTPServerResponse::HTTP_BAD_REQUEST);
      response.setContentType("application/json");
      response.setContentLength(static_cast<std::streamsize>(body.size()));
      response.send() << body;
      return;
    }
    const Session session = *hub.store().session(dispatch.session_id);
    logLine("session started id=" + session.id + " protocol=" + session.protocol_version);
    Subscription subscription = hub.subscribe(session.id, EventId{dispatch.stream, 0});
    serveStream(response, subscription,
                mcp::primesStreams(session.protocol_version) ? EventId{dispatch.stream, 0}.toString() : "",
                session.id);
    return;
  }

  const Session session = requireSession(request);
  checkProtocolVersion(request);
  if (kind != mcp::MessageKind::kRequest) {
    mcp_.handleNotification(session.id, message);
    response.setStatusAndReason(HTTPServerResponse::HTTP_ACCEPTED);
    response.setContentLength(0);
    response.send();
    return;
  }
  const McpServer::Dispatch dispatch = mcp_.handleRequest(session.id, message);
  Subscription subscription = hub.subscribe(session.id, EventId{dispatch.stream, 0});
  serveStream(response, subscription,
              mcp::primesStreams(session.protocol_version) ? EventId{dispatch.stream, 0}.toString() : "",
              std::string());
}

void Endpoint::get(HTTPServerRequest& request, HTTPServerResponse& response) {
  checkAccept(request, {"text/event-stream"});
  const Session session = requireSession(request);
  checkProtocolVersion(request);
  Hub& hub = mcp_.hub();
  const std::string last_event_id = request.get("Last-Event-ID", "");
  if (!last_event_id.empty()) {
    // Resume the stream the id names, a request stream included.
    Subscription subscription = hub.subscribe(session.id, last_event_id);
    serveStream(response, subscription, std::string(), std::string());
    return;
  }
  // A new standalone stream: from now on; its priming id resumes from here.
  const EventId start{hub.store().standaloneStream(session.id), session.last_seq};
  Subscription subscription = hub.subscribe(session.id, start);
  serveStream(response, subscription,
              mcp::primesStreams(session.protocol_version) ? start.toString() : "", std::string());
}

void Endpoint::remove(HTTPServerRequest& request, HTTPServerResponse& response) {
  const std::string id = requireSessionId(request);
  if (!mcp_.hub().removeSession(id)) {
    throw HttpError(404, kSessionNotFound, "session not found (expired or deleted)");
  }
  logLine("session ended id=" + id + " by DELETE");
  response.setStatusAndReason(HTTPServerResponse::HTTP_OK);
  response.setContentLength(0);
  response.send();
}

void Endpoint::serveStream(HTTPServerResponse& response, Subscription& subscription,
                           const std::string& priming_id, const std::string& new_session_id) {
  // Look at the first delivery before the headers go out, so a resume that
  // starts with a gap can say so in a header too.
  Delivery next = subscription.next(std::chrono::milliseconds(0));
  response.setStatusAndReason(HTTPServerResponse::HTTP_OK);
  response.setContentType("text/event-stream");
  response.set("Cache-Control", "no-cache");
  response.setChunkedTransferEncoding(true);
  if (!new_session_id.empty()) response.set("Mcp-Session-Id", new_session_id);
  if (next.kind == Delivery::Kind::kGap) response.set("Mcp-Replay-Gap", "true");
  std::ostream& out = response.send();
  if (!priming_id.empty()) writeSsePriming(out, priming_id, options_.retry);
  bool idle_so_far = false;  // the first look did not wait: no keep-alive yet
  try {
    for (;;) {
      switch (next.kind) {
        case Delivery::Kind::kEvent:
          writeSseEvent(out, next.event.id, next.event.type, next.event.data);
          break;
        case Delivery::Kind::kGap:
          // No id: the client's Last-Event-ID stays where it was.
          writeSseEvent(out, std::string(), "mcpkeep-gap",
                        json{{"gap", true}, {"after", subscription.lastEventId()}}.dump());
          break;
        case Delivery::Kind::kTimeout:
          if (idle_so_far) writeSseComment(out, "keep-alive");
          break;
        case Delivery::Kind::kShutdown:
          writeSseRetry(out, options_.retry);  // come back when we are
          out.flush();
          return;
        case Delivery::Kind::kStreamEnded:
          out.flush();
          return;
      }
      out.flush();
      if (!out) return;  // the client went away
      next = subscription.next(options_.keep_alive_interval);
      idle_so_far = true;
    }
  } catch (const Poco::Exception&) {
    // The client went away mid-write; what it missed stays in the store.
  } catch (const std::ios_base::failure&) {
  }
}

}  // namespace mcpkeep::http
