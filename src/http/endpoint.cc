#include "http/endpoint.h"

#include <algorithm>

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include "http/connection_guard.h"
#include "http/cors.h"
#include "http/http_error.h"
#include "http/sse.h"
#include "log/log.h"
#include "mcp/json_rpc.h"
#include "mcp/protocol_version.h"
#include "mcp/session_lifecycle.h"
#include "mcp/stateless_era.h"

namespace mcpkeep::http {

using nlohmann::json;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

constexpr const char* kLogger = "mcpkeep.http";

void Endpoint::handleRequest(HTTPServerRequest& request, HTTPServerResponse& response) {
  // However it ends: counted, and one debug line.
  struct RequestDone {
    const HTTPServerRequest& request;
    const HTTPServerResponse& response;
    ~RequestDone() {
      const int status = static_cast<int>(response.getStatus());
      metrics.request(request.getMethod(), status);
      if (log::enabled(kLogger, Poco::Message::PRIO_DEBUG)) {
        log::debug(kLogger, "request", {{"method", request.getMethod()},
                                        {"status", std::to_string(status)},
                                        {"session", request.get("Mcp-Session-Id", "")}});
      }
    }
    Metrics& metrics;
  } request_done{request, response, *options_.metrics};
  try {
    checkHeaderSize(request, options_.guards);
    addCorsHeaders(response, checkHostAndOrigin(request, options_.guards));
    const std::string& method = request.getMethod();
    if (method == "OPTIONS") {  // before auth: browsers send no credentials in a preflight
      answerOptions(request, response);
      return;
    }
    checkAuth(request, options_.guards);
    if (method == "POST") {
      post(request, response);
    } else if (method == "GET") {
      get(request, response);
    } else if (method == "DELETE") {
      remove(request, response);
    } else {
      response.set("Allow", "GET, POST, DELETE, OPTIONS");
      throw HttpError(405, kServerError, "method " + method + " is not allowed here");
    }
    return;
  } catch (const HttpError& e) {
    if (!response.sent()) sendError(response, e.status(), e.rpcCode(), e.what());
    if (e.status() >= 500) log::warning(kLogger, "request refused", {{"status", std::to_string(e.status())}, {"error", e.what()}});
    return;
  } catch (const StatelessRefusal& e) {
    if (!response.sent()) sendJson(response, 400, e.message);
    return;
  } catch (const mcp::RpcError& e) {
    if (!response.sent()) sendError(response, 400, e.code(), e.what());
    return;
  } catch (const Error& e) {
    const HttpError http = toHttpError(e);
    if (!response.sent()) sendError(response, http.status(), http.rpcCode(), http.what());
    if (http.status() >= 500) {
      log::error(kLogger, "storage error", {{"code", errorCodeName(e.code())}, {"error", e.what()}});
    }
    return;
  } catch (const std::exception& e) {
    log::error(kLogger, "internal error", {{"error", e.what()}});
    if (!response.sent()) sendError(response, 500, mcp::kInternalError, "internal error");
  }
}

Session Endpoint::requireSession(const HTTPServerRequest& request) {
  std::optional<Session> session = mcp::touchSession(answerer_.hub().store(), requireSessionId(request));
  if (!session) throw HttpError(404, kSessionNotFound, "session not found (expired or deleted): initialize again");
  return *session;
}

void Endpoint::post(HTTPServerRequest& request, HTTPServerResponse& response) {
  checkAccept(request, {"application/json", "text/event-stream"});
  checkJsonContentType(request);
  const std::string body = readBody(request, options_.guards);
  ConnectionGuard::requestReceived();
  const json message = mcp::parseBody(body);
  if (isStateless(request, message)) {
    postStateless(request, response, message);
    return;
  }
  if (!options_.sessions) refuseSessionEra(message);
  const bool is_request = !message.is_array() && mcp::classify(message) == mcp::MessageKind::kRequest;
  if (is_request) options_.metrics->rpcRequest(message["method"].get<std::string>());
  if (is_request && message["method"] == "initialize") {
    const int64_t sessions = answerer_.hub().store().sessionCount();
    if (sessions >= options_.max_sessions) {
      response.set("Retry-After", "60");
      throw HttpError(503, kServerError,
                      "the server holds " + std::to_string(sessions) +
                          " sessions, its limit; retry later (idle sessions expire)");
    }
    const Dispatcher::Dispatch dispatch = answerer_.handleRequest(std::string(), message);
    if (dispatch.rejection) {
      sendJson(response, 400, *dispatch.rejection);
      return;
    }
    const Session session = *answerer_.hub().store().session(dispatch.session_id);
    options_.metrics->sessionCreated();
    log::info(kLogger, "session started", {{"session", session.id}, {"protocol", session.protocol_version}});
    answer(response, session, dispatch.stream, session.id);
    return;
  }

  const Session session = requireSession(request);
  checkProtocolVersion(request);
  if (message.is_array()) {
    postBatch(message, session, response);
    return;
  }
  if (!is_request) {
    answerer_.handleNotification(session.id, message);
    response.setStatusAndReason(HTTPServerResponse::HTTP_ACCEPTED);
    response.setContentLength(0);
    response.send();
    return;
  }
  const StreamSlots::Slot slot = options_.stream_slots->take(session.id);
  answer(response, session, answerer_.handleRequest(session.id, message).stream, std::string());
}

void Endpoint::answer(HTTPServerResponse& response, const Session& session, StreamId stream,
                      const std::string& new_session_id) {
  Subscription subscription = answerer_.hub().follow(session.id, stream);
  if (!options_.json_responses) {
    StreamStart start;
    if (mcp::primesStreams(session.protocol_version)) start.priming_id = EventId{stream, 0}.toString();
    start.new_session_id = new_session_id;
    serveStream(response, subscription, start);
    return;
  }
  const std::optional<json> reply = awaitResponse(subscription);
  if (!new_session_id.empty()) response.set("Mcp-Session-Id", new_session_id);
  if (!reply) {  // a cancelled request: no response is due
    response.setStatusAndReason(HTTPServerResponse::HTTP_ACCEPTED);
    response.setContentLength(0);
    response.send();
    return;
  }
  sendJson(response, 200, *reply);
}

// A JSON-RPC batch: protocol 2025-03-26 only (later versions dropped them).
// Every message is checked before any is handled, so a bad batch changes
// nothing. The responses come on one SSE stream (or a JSON array), request
// by request in batch order; the events keep their own streams' ids.
void Endpoint::postBatch(const json& batch, const Session& session, HTTPServerResponse& response) {
  if (session.protocol_version != "2025-03-26") {
    throw HttpError(400, mcp::kInvalidRequest,
                    "JSON-RPC batches are only allowed with protocol version 2025-03-26; this "
                    "session uses " + session.protocol_version);
  }
  if (batch.empty()) throw HttpError(400, mcp::kInvalidRequest, "empty JSON-RPC batch");
  std::vector<mcp::MessageKind> kinds;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    try {
      kinds.push_back(mcp::classify(batch[i]));
    } catch (const mcp::RpcError& e) {
      throw HttpError(400, e.code(), "batch element " + std::to_string(i) + ": " + e.what());
    }
    if (kinds.back() == mcp::MessageKind::kRequest && batch[i]["method"] == "initialize") {
      throw HttpError(400, mcp::kInvalidRequest, "initialize cannot be part of a batch");
    }
  }
  std::optional<StreamSlots::Slot> slot;
  if (std::count(kinds.begin(), kinds.end(), mcp::MessageKind::kRequest) > 0) {
    slot.emplace(options_.stream_slots->take(session.id));
  }
  std::vector<StreamId> streams;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (kinds[i] == mcp::MessageKind::kRequest) {
      options_.metrics->rpcRequest(batch[i]["method"].get<std::string>());
      streams.push_back(answerer_.handleRequest(session.id, batch[i]).stream);
    } else {
      answerer_.handleNotification(session.id, batch[i]);
    }
  }
  if (streams.empty()) {
    response.setStatusAndReason(HTTPServerResponse::HTTP_ACCEPTED);
    response.setContentLength(0);
    response.send();
    return;
  }
  Hub& hub = answerer_.hub();
  if (options_.json_responses) {
    json replies = json::array();
    for (StreamId stream : streams) {
      Subscription subscription = hub.follow(session.id, stream);
      if (auto reply = awaitResponse(subscription)) replies.push_back(std::move(*reply));
    }
    sendJson(response, 200, replies);
    return;
  }
  response.setStatusAndReason(HTTPServerResponse::HTTP_OK);
  response.setContentType("text/event-stream");
  response.set("Cache-Control", "no-cache");
  response.setChunkedTransferEncoding(true);
  std::ostream& out = response.send();
  const Metrics::OpenStream open(*options_.metrics);
  for (StreamId stream : streams) {
    Subscription subscription = hub.follow(session.id, stream);
    SseRelay sse(relaySettings(), false, false, false);
    if (!relay(out, subscription, sse)) return;
  }
}

void Endpoint::refuseSessionEra(const json& message) {
  json id = nullptr;
  if (message.is_object() && message.contains("id")) id = message["id"];
  std::string versions;
  for (const std::string& v : mcp::statelessProtocolVersions()) versions += (versions.empty() ? "" : ", ") + v;
  throw StatelessRefusal{mcp::errorMessage(
      id, mcp::kUnsupportedProtocolVersion,
      "this server speaks only protocol " + versions + " (no initialize, no sessions)",
      {{"supported", mcp::statelessProtocolVersions()},
       {"requested", message.is_object() ? message.value("params", json::object()).value("protocolVersion", "") : ""}})};
}

// GET and DELETE belong to the session era; without a session they are
// 2026-07-28 traffic, which has neither.
void Endpoint::refuseWithoutSession(const HTTPServerRequest& request, HTTPServerResponse& response) {
  if (!options_.sessions) {
    response.set("Allow", "POST, OPTIONS");
    throw HttpError(405, kServerError, request.getMethod() + " is not served: this server speaks only protocol 2026-07-28");
  }
  if (request.has("Mcp-Session-Id") || !servesStateless()) return;
  response.set("Allow", "POST, OPTIONS");
  throw HttpError(405, kServerError,
                  request.getMethod() + " needs an Mcp-Session-Id (a session from initialize); protocol "
                  "2026-07-28 has no sessions and no GET stream");
}

void Endpoint::get(HTTPServerRequest& request, HTTPServerResponse& response) {
  ConnectionGuard::requestReceived();
  checkAccept(request, {"text/event-stream"});
  refuseWithoutSession(request, response);
  const Session session = requireSession(request);
  checkProtocolVersion(request);
  // The slot goes with the stream; a GET with a body is not parked (the
  // connection would have to read it first).
  std::optional<StreamSlots::Slot> slot, park_with;
  const bool may_park = request.getContentLength() == HTTPServerRequest::UNKNOWN_CONTENT_LENGTH &&
                        !request.getChunkedTransferEncoding();
  (may_park ? park_with : slot).emplace(options_.stream_slots->take(session.id));
  Hub& hub = answerer_.hub();
  const std::string last_event_id = request.get("Last-Event-ID", "");
  StreamStart start;
  if (!last_event_id.empty()) {
    // Resume the stream the id names, a request stream included.
    Subscription subscription = hub.subscribe(session.id, last_event_id);
    start.resumed = true;
    resumed_ = true;
    options_.metrics->replay();
    serveStream(response, subscription, start, std::move(park_with));
    return;
  }
  // A new standalone stream: from now on; its priming id resumes from here.
  const EventId from{hub.store().standaloneStream(session.id), session.last_seq};
  Subscription subscription = hub.subscribe(session.id, from);
  if (mcp::primesStreams(session.protocol_version)) start.priming_id = from.toString();
  serveStream(response, subscription, start, std::move(park_with));
}

void Endpoint::remove(HTTPServerRequest& request, HTTPServerResponse& response) {
  ConnectionGuard::requestReceived();
  refuseWithoutSession(request, response);
  const std::string id = requireSessionId(request);
  if (!answerer_.endSession(id)) {
    throw HttpError(404, kSessionNotFound, "session not found (expired or deleted)");
  }
  options_.metrics->sessionDeleted();
  log::info(kLogger, "session deleted", {{"session", id}});
  response.setStatusAndReason(HTTPServerResponse::HTTP_OK);
  response.setContentLength(0);
  response.send();
}

}  // namespace mcpkeep::http
