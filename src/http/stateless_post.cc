// A POST of the stateless era (protocol 2026-07-28): no session; the
// request's _meta says who asks, its headers mirror its body (checked:
// SEP-2243), and it is answered on its own, as one JSON object or, when
// notifications come first (progress, logs, a listen stream), as SSE.
#include <Poco/Base64Decoder.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/MessageHeader.h>

#include <algorithm>
#include <cctype>
#include <sstream>

#include "http/endpoint.h"
#include "http/http_error.h"
#include "mcp/json_rpc.h"
#include "mcp/protocol_version.h"
#include "mcp/stateless_era.h"

namespace mcpkeep::http {

using nlohmann::json;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

namespace {

[[noreturn]] void mismatch(const std::string& what) { throw mcp::RpcError(mcp::kHeaderMismatch, "header mismatch: " + what); }

bool isStrictBase64(const std::string& text) {
  if (text.empty() || text.size() % 4 != 0) return false;
  const std::size_t padding = text.size() - std::min(text.find_last_not_of('=') + 1, text.size());
  if (padding > 2) return false;
  return std::all_of(text.begin(), text.end() - static_cast<std::ptrdiff_t>(padding), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/';
  });
}

// A header value as sent, or decoded from the "=?base64?...?=" form
// clients use for values that are not plain ASCII. Poco reads header values
// as RFC 2047 encoded words and takes the leading "=?" of that form for one,
// leaving "base64?...?="; both spellings are read. Malformed base64 is a
// mismatch.
std::string headerValue(const std::string& raw, const std::string& header) {
  static const std::string kOpen = "=?base64?", kPocoOpen = "base64?", kClose = "?=";
  const auto wrapped = [&](const std::string& open) {
    return raw.size() >= open.size() + kClose.size() && raw.compare(0, open.size(), open) == 0 &&
           raw.compare(raw.size() - kClose.size(), kClose.size(), kClose) == 0;
  };
  const std::size_t open = wrapped(kOpen) ? kOpen.size() : wrapped(kPocoOpen) ? kPocoOpen.size() : 0;
  if (open == 0) return raw;
  const std::string encoded = raw.substr(open, raw.size() - open - kClose.size());
  if (!isStrictBase64(encoded)) mismatch(header + " is not valid base64 inside =?base64?...?=");
  std::istringstream in(encoded);
  Poco::Base64Decoder decoder(in);
  return std::string((std::istreambuf_iterator<char>(decoder)), std::istreambuf_iterator<char>());
}

// Whether a header Poco read as `seen` carries `expected`: encoded, or sent
// as it is (Poco's RFC 2047 reading alters a literal holding "=?" the same
// way whether it came in a header or is altered here).
bool carries(const std::string& seen, const std::string& expected, const std::string& header) {
  return headerValue(seen, header) == expected || Poco::Net::MessageHeader::decodeWord(expected) == seen;
}

// The HTTP status of a stateless error answer.
int statusOf(int rpc_code) {
  switch (rpc_code) {
    case mcp::kMethodNotFound:
      return 404;
    case mcp::kParseError:
    case mcp::kInvalidRequest:
    case mcp::kInvalidParams:
    case mcp::kHeaderMismatch:
    case mcp::kMissingClientCapability:
    case mcp::kUnsupportedProtocolVersion:
      return 400;
    default:
      return 200;
  }
}

// SEP-2243: MCP-Protocol-Version, Mcp-Method and (for the methods that
// name something: a tool, prompt, resource or task) Mcp-Name must be sent
// and match the body.
// Checked before _meta is (a mismatch is named as one, whatever the version).
void checkVersionHeader(const HTTPServerRequest& request, const json& message) {
  if (!request.has("MCP-Protocol-Version")) mismatch("the MCP-Protocol-Version header is missing");
  const json& params = message.value("params", json::object());
  if (!params.is_object() || !params.contains("_meta") || !params["_meta"].is_object()) return;
  const auto version = params["_meta"].find(mcp::kProtocolVersionKey);
  if (version == params["_meta"].end() || !version->is_string()) return;
  if (request.get("MCP-Protocol-Version") != version->get<std::string>()) {
    mismatch("MCP-Protocol-Version header '" + request.get("MCP-Protocol-Version") + "' differs from _meta's '" +
             version->get<std::string>() + "'");
  }
}

void checkMirroredHeaders(const HTTPServerRequest& request, const json& message) {
  const std::string method = message["method"].get<std::string>();
  if (!request.has("Mcp-Method")) mismatch("the Mcp-Method header is missing");
  if (request.get("Mcp-Method") != method) {
    mismatch("Mcp-Method header '" + request.get("Mcp-Method") + "' differs from the body's '" + method + "'");
  }
  const char* named = method == "tools/call" || method == "prompts/get"                          ? "name"
                      : method == "resources/read"                                              ? "uri"
                      : method == "tasks/get" || method == "tasks/update" || method == "tasks/cancel" ? "taskId"
                                                                                                : nullptr;
  if (!named) return;
  const json& params = message["params"];
  if (!params.contains(named) || !params[named].is_string()) return;  // the answerer names that error
  if (!request.has("Mcp-Name")) mismatch("the Mcp-Name header is missing");
  if (!carries(request.get("Mcp-Name"), params[named].get<std::string>(), "Mcp-Name")) {
    mismatch("Mcp-Name header '" + request.get("Mcp-Name") + "' differs from the body's params." + named);
  }
}

// A tool's arguments mirrored in Mcp-Param-* headers must be sent when the
// body has them, hold only header-safe characters, and agree with the body
// (integers compared as numbers).
void checkParamHeaders(const HTTPServerRequest& request, const json& arguments,
                       const std::vector<Dispatcher::MirroredParam>& mirrored) {
  for (const Dispatcher::MirroredParam& param : mirrored) {
    const json* value = &arguments;
    for (const std::string& step : param.path) {
      if (!value->is_object() || !value->contains(step)) {
        value = nullptr;
        break;
      }
      value = &(*value)[step];
    }
    if (!value || value->is_null()) continue;  // nothing to mirror: no header is due
    const std::string header = "Mcp-Param-" + param.header;
    if (!request.has(header)) mismatch(header + " is missing (the body has " + param.path.back() + ")");
    const std::string& raw = request.get(header);
    const bool safe = std::all_of(raw.begin(), raw.end(), [](char c) { return (c >= 0x20 && c < 0x7f) || c == '\t'; });
    if (!safe) mismatch(header + " holds characters a header value may not");
    const std::string sent = headerValue(raw, header);
    bool same = false;
    if (value->is_string()) {
      same = carries(raw, value->get<std::string>(), header);
    } else if (value->is_boolean()) {
      same = sent == (value->get<bool>() ? "true" : "false");
    } else if (value->is_number()) {
      try {
        std::size_t used = 0;
        const double number = std::stod(sent, &used);
        same = used == sent.size() && number == value->get<double>();
      } catch (const std::exception&) {
        same = false;
      }
    }
    if (!same) mismatch(header + " '" + sent + "' differs from the body's " + param.path.back());
  }
}

}  // namespace

bool Endpoint::isStateless(const HTTPServerRequest& request, const json& message) {
  if (request.has("Mcp-Session-Id") || !message.is_object()) return false;
  return mcp::carriesRequestMeta(message) ||
         mcp::isStatelessProtocolVersion(request.get("MCP-Protocol-Version", "")) ||
         message.value("method", "") == "server/discover";
}

void Endpoint::postStateless(HTTPServerRequest& request, HTTPServerResponse& response, const json& message) {
  if (mcp::classify(message) != mcp::MessageKind::kRequest) {
    // No notification is defined for this era over HTTP (closing a response
    // cancels its request); accepted and ignored.
    response.setStatusAndReason(HTTPServerResponse::HTTP_ACCEPTED);
    response.setContentLength(0);
    response.send();
    return;
  }
  const json& id = message["id"];
  if (!servesStateless()) {
    // Not a modern error: clients probing for 2026-07-28 fall back to initialize.
    sendJson(response, 400, mcp::errorMessage(id, kServerError, "Mcp-Session-Id header required (send initialize first)"));
    return;
  }
  options_.metrics->rpcRequest(message["method"].get<std::string>());
  try {
    checkVersionHeader(request, message);
    mcp::readRequestMeta(message);
    checkMirroredHeaders(request, message);
    const json& params = message["params"];
    if (message["method"] == "tools/call" && params.contains("name") && params["name"].is_string()) {
      checkParamHeaders(request, params.value("arguments", json::object()),
                        answerer_.mirroredParams(params["name"].get<std::string>()));
    }
  } catch (const mcp::RpcError& e) {
    sendJson(response, statusOf(e.code()), mcp::errorMessage(id, e.code(), e.what(), e.data()));
    return;
  }
  const Dispatcher::Dispatch dispatch = answerer_.handleRequest(std::string(), message);
  if (dispatch.rejection) {
    sendJson(response, statusOf((*dispatch.rejection)["error"].value("code", 0)), *dispatch.rejection);
    return;
  }
  Subscription subscription = answerer_.hub().follow(dispatch.session_id, dispatch.stream);
  if (options_.json_responses) {
    const std::optional<json> reply = awaitResponse(subscription);
    if (!reply) throw HttpError(503, kServerError, "the request was ended before it was answered");
    sendJson(response, reply->contains("error") ? statusOf((*reply)["error"].value("code", 0)) : 200, *reply);
    return;
  }
  // One JSON answer when the response comes first; SSE when anything comes
  // before it, or nothing comes for a keep-alive interval.
  const Delivery first = subscription.next(options_.keep_alive_interval);
  if (first.kind == Delivery::Kind::kEvent) {
    json reply = json::parse(first.event.data, nullptr, false);
    if (reply.is_object() && reply.contains("id") && !reply.contains("method")) {
      sendJson(response, reply.contains("error") ? statusOf(reply["error"].value("code", 0)) : 200, reply);
      return;
    }
  }
  if (first.kind == Delivery::Kind::kShutdown) {
    throw HttpError(503, kServerError, "the server is shutting down");
  }
  response.setStatusAndReason(HTTPServerResponse::HTTP_OK);
  response.setContentType("text/event-stream");
  response.set("Cache-Control", "no-cache");
  response.set("X-Accel-Buffering", "no");
  response.setChunkedTransferEncoding(true);
  std::ostream& out = response.send();
  const Metrics::OpenStream open(*options_.metrics);
  SseRelay sse(relaySettings(), false, false, false);
  std::string text;
  bool ended = false;
  if (first.kind != Delivery::Kind::kTimeout) ended = sse.take(first, subscription, text) == SseRelay::Next::kEnd;
  try {
    out << text;
    out.flush();
  } catch (const std::exception&) {
    ended = false;
  }
  if (!ended && !relay(out, subscription, sse)) answerer_.abandon(dispatch.session_id, dispatch.stream);
}

}  // namespace mcpkeep::http
