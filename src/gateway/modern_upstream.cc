// Gateway::Impl: session-era clients in front of an upstream that speaks
// protocol 2026-07-28 only (no initialize, no sessions, input requests as
// input_required results). The client's session, its replay and its
// durability are mcpkeep's as ever; upstream, each request carries the
// session's stored client capabilities in _meta, and an input_required
// answer becomes requests to the client on the request's stream, whose
// answers go up with the request again.
#include <algorithm>

#include "gateway/gateway_impl.h"
#include "log/log.h"
#include "mcp/json_rpc.h"
#include "mcp/protocol_version.h"
#include "mcp/stateless_era.h"

namespace mcpkeep::gateway {

namespace {

// Marks an initialize result made from server/discover.
constexpr const char* kUpstreamProtocolKey = "io.mcpkeep/upstreamProtocol";

json requestMeta(const json& params) {
  json meta = {{mcp::kProtocolVersionKey, mcp::statelessProtocolVersions().front()},
               {mcp::kClientCapabilitiesKey, params.value("capabilities", json::object())}};
  if (params.contains("clientInfo")) meta[mcp::kClientInfoKey] = params["clientInfo"];
  return meta;
}

}  // namespace

bool speaksStatelessOnly(const json& initialize_result) {
  const json meta = initialize_result.value("_meta", json::object());
  return meta.is_object() && meta.contains(kUpstreamProtocolKey);
}

bool speaksStatelessOnly(const UpstreamRefusal& refusal) {
  const json& error = refusal.error();
  if (!error.is_object() || error.value("code", 0) != mcp::kUnsupportedProtocolVersion) return false;
  const json supported = error.value("data", json::object()).value("supported", json::array());
  return supported.is_array() && std::any_of(supported.begin(), supported.end(), [](const json& v) {
           return v.is_string() && mcp::isStatelessProtocolVersion(v.get<std::string>());
         });
}

json Gateway::Impl::discoverAsInitialize(const std::shared_ptr<Link>& link, const json& params,
                                         const std::string& version) {
  {
    std::lock_guard<std::mutex> lock(mutex);
    link->stateless_upstream = true;
  }
  const json discovered = ask(link, "server/discover", {{"_meta", requestMeta(params)}});
  json capabilities = discovered.value("capabilities", json::object());
  capabilities.erase("extensions");  // the session era knows none of them
  json result = {{"protocolVersion", version},
                 {"capabilities", capabilities},
                 {"serverInfo", discovered.value("_meta", json::object())
                                    .value(mcp::kServerInfoKey, json{{"name", link->upstream->name()}, {"version", ""}})},
                 {"_meta", {{kUpstreamProtocolKey, mcp::statelessProtocolVersions().front()}}}};
  if (discovered.contains("instructions")) result["instructions"] = discovered["instructions"];
  return result;
}

json Gateway::Impl::withRequestMeta(const std::string& session, json request) {
  const std::optional<Store::UpstreamState> state = store.upstreamState(session);
  json meta = requestMeta(state ? json::parse(state->initialize_params) : json::object());
  if (state && !state->log_level.empty()) meta[mcp::kLogLevelKey] = state->log_level;
  json& params = request["params"];
  if (!params.is_object()) params = json::object();
  json& own = params["_meta"];
  if (!own.is_object()) own = json::object();
  for (auto& [key, value] : meta.items()) own[key] = value;
  return request;
}

bool Gateway::Impl::startRound(const Call& call, const json& answer) {
  const json result = answer.value("result", json());
  if (!result.is_object() || result.value("resultType", "") != "input_required") return false;
  const json asked = result.value("inputRequests", json::object());
  std::vector<json> requests;
  {
    std::lock_guard<std::mutex> lock(mutex);
    const int64_t id = next_round++;
    Round& round = rounds[id];
    round.session = call.session;
    round.stream = call.stream;
    round.request = call.request;
    round.link = call.link;
    round.request_state = result.value("requestState", json());
    for (const auto& [key, request] : asked.items()) {
      const json down_id = mcp::clientRequestId(call.stream, next_relayed++);
      relayed[{call.session, down_id.dump()}] = Relayed{call.link, nullptr, id, key};
      round.waiting.insert(key);
      requests.push_back({{"jsonrpc", "2.0"}, {"id", down_id}, {"method", request.value("method", "")},
                          {"params", request.value("params", json::object())}});
    }
    if (round.waiting.empty()) {
      // Nothing to ask: straight up again, with the state.
      rounds.erase(id);
      requests.clear();
    }
  }
  if (requests.empty()) {
    json again = call.request;
    if (!result.value("requestState", json()).is_null()) again["params"]["requestState"] = result["requestState"];
    forward(call.session, call.stream, again, call.link, false);
    return true;
  }
  for (const json& request : requests) publish(call.session, call.stream, request, false);
  return true;
}

void Gateway::Impl::answerRound(int64_t id, const std::string& key, const json& response) {
  Round round;
  {
    std::lock_guard<std::mutex> lock(mutex);
    const auto found = rounds.find(id);
    if (found == rounds.end()) return;
    if (response.contains("error")) {
      round = std::move(found->second);
      rounds.erase(found);
    } else {
      found->second.answers[key] = response.value("result", json::object());
      found->second.waiting.erase(key);
      if (!found->second.waiting.empty()) return;
      round = std::move(found->second);
      rounds.erase(found);
    }
  }
  if (response.contains("error")) {
    answerError(round.session, round.stream, round.request["id"],
                "the client answered an input request with an error: " + response["error"].value("message", std::string()));
    return;
  }
  json again = round.request;
  again["params"]["inputResponses"] = round.answers;
  if (!round.request_state.is_null()) again["params"]["requestState"] = round.request_state;
  forward(round.session, round.stream, again, round.link, false);
}

}  // namespace mcpkeep::gateway
