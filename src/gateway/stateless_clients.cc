// Gateway::Impl: 2026-07-28 clients in front of a session-era upstream.
// The upstream speaks initialize and sessions; a stateless client speaks
// neither. mcpkeep keeps one upstream session for all of them (an mcpkeep
// session of its own, initialized upstream like a client's and stored, so
// a restart picks it up again), answers server/discover from that
// session's stored initialize result, sends each request up on it, and
// gives back each answer in the stateless shape (resultType, caching hints,
// the server named in _meta). Its initialize declares no client
// capabilities, so the upstream asks these clients nothing.
#include "gateway/gateway_impl.h"
#include "log/log.h"
#include "mcp/json_rpc.h"
#include "mcp/methods.h"
#include "mcp/protocol_version.h"
#include "mcp/stateless_era.h"

namespace mcpkeep::gateway {

std::string Gateway::Impl::statelessSession() {
  std::lock_guard<std::mutex> one_at_a_time(stateless_starting);
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (!stateless_session.empty() && sessions.count(stateless_session) > 0) return stateless_session;
  }
  if (!stateless_session.empty() && store.session(stateless_session)) {
    // Kept from an earlier run: linkFor re-initialises it upstream.
    return stateless_session;
  }
  const json initialize = {{"jsonrpc", "2.0"},
                           {"id", 0},
                           {"method", "initialize"},
                           {"params",
                            {{"protocolVersion", mcp::latestProtocolVersion()},
                             {"capabilities", json::object()},
                             {"clientInfo", {{"name", "mcpkeep (stateless clients)"}, {"version", "1"}}}}}};
  const Dispatch made = this->initialize(initialize);
  if (made.rejection) {
    throw Error(ErrorCode::kUnavailable, "the upstream refused mcpkeep's initialize: " +
                                             (*made.rejection)["error"].value("message", std::string()));
  }
  std::lock_guard<std::mutex> lock(mutex);
  stateless_session = made.session_id;
  return stateless_session;
}

json Gateway::Impl::serverInfo(const std::string& session) {
  std::lock_guard<std::mutex> lock(mutex);
  const auto found = sessions.find(session);
  if (found == sessions.end() || !found->second.link) return json::object();
  return found->second.link->initialize_result.value("serverInfo", json::object());
}

Dispatcher::Dispatch Gateway::Impl::handleStateless(const json& request) {
  const json& id = request.at("id");
  mcp::Method method;
  try {
    const mcp::RequestMeta meta = mcp::readRequestMeta(request);
    const std::string name = request.at("method").get<std::string>();
    const std::optional<mcp::Method> known = mcp::findMethod(name);
    const bool served = known && mcp::inStatelessEra(*known) && *known != mcp::Method::kSubscriptionsListen &&
                        *known != mcp::Method::kTasksGet && *known != mcp::Method::kTasksUpdate &&
                        *known != mcp::Method::kTasksCancel;
    if (!served) {
      throw mcp::RpcError(mcp::kMethodNotFound,
                          "unknown method '" + name + "' (protocol " + meta.protocol_version + ", through the gateway)");
    }
    method = *known;
  } catch (const mcp::RpcError& e) {
    return {std::string(), 0, mcp::errorMessage(id, e.code(), e.what(), e.data())};
  }
  const std::string session = statelessSession();
  const StreamId stream = store.openRequestStream(session, json::array({id}).dump());
  std::shared_ptr<Link> link;
  try {
    link = linkFor(session);
  } catch (const UpstreamError& e) {
    answerError(session, stream, id, e.what());
    return {session, stream, std::nullopt};
  }
  if (method == mcp::Method::kServerDiscover) {
    json result;
    {
      std::lock_guard<std::mutex> lock(mutex);
      result = link->initialize_result;
    }
    json capabilities = result.value("capabilities", json::object());
    if (capabilities.contains("resources") && capabilities["resources"].is_object()) {
      capabilities["resources"].erase("subscribe");  // no listen through the gateway yet
    }
    json discovered = {{"supportedVersions", mcp::allProtocolVersions()}, {"capabilities", capabilities}};
    if (result.contains("instructions")) discovered["instructions"] = result["instructions"];
    publish(session, stream,
            mcp::resultMessage(id, mcp::statelessResult(std::move(discovered), method,
                                                        result.value("serverInfo", json::object()))),
            true);
    return {session, stream, std::nullopt};
  }
  // The upstream gets the request as a session-era client would send it.
  json up = request;
  if (up["params"].contains("_meta") && up["params"]["_meta"].is_object()) {
    json& meta = up["params"]["_meta"];
    for (const char* key : {mcp::kProtocolVersionKey, mcp::kClientCapabilitiesKey, mcp::kClientInfoKey, mcp::kLogLevelKey}) {
      meta.erase(key);
    }
    if (meta.empty()) up["params"].erase("_meta");
  }
  forward(session, stream, up, link, false);
  return {session, stream, std::nullopt};
}

json Gateway::Impl::statelessAnswer(const Call& call, json answer) {
  const std::optional<mcp::Method> method = mcp::findMethod(call.request.value("method", ""));
  if (!method) return answer;
  if (answer.contains("result")) {
    answer["result"] = mcp::statelessResult(std::move(answer["result"]), *method, serverInfo(call.session));
  } else if (answer.contains("error") && answer["error"].value("code", 0) == mcp::kResourceNotFound) {
    // This era names an unknown resource with invalid params (SEP-2164).
    answer["error"]["code"] = mcp::kInvalidParams;
    answer["error"]["data"] = {{"uri", call.request["params"].value("uri", std::string())}};
  }
  return answer;
}

}  // namespace mcpkeep::gateway
