#include "mcp/stateless_era.h"

#include "mcp/json_rpc.h"
#include "mcp/log_level.h"
#include "mcp/protocol_version.h"

namespace mcpkeep::mcp {

using nlohmann::json;

const char* const kProtocolVersionKey = "io.modelcontextprotocol/protocolVersion";
const char* const kClientCapabilitiesKey = "io.modelcontextprotocol/clientCapabilities";
const char* const kClientInfoKey = "io.modelcontextprotocol/clientInfo";
const char* const kLogLevelKey = "io.modelcontextprotocol/logLevel";
const char* const kServerInfoKey = "io.modelcontextprotocol/serverInfo";
const char* const kSubscriptionIdKey = "io.modelcontextprotocol/subscriptionId";

namespace {

// How long a client may keep a list (or the discover result) without asking
// again. Lists change only when the program adds to them, and listeners are
// told at once (list_changed); they are the same for every caller.
constexpr int64_t kListTtlMs = 60'000;

const json* metaOf(const json& message) {
  const auto params = message.find("params");
  if (params == message.end() || !params->is_object()) return nullptr;
  const auto meta = params->find("_meta");
  return meta == params->end() ? nullptr : &*meta;
}

}  // namespace

bool carriesRequestMeta(const json& message) {
  const json* meta = metaOf(message);
  return meta && meta->is_object() && meta->contains(kProtocolVersionKey);
}

RequestMeta readRequestMeta(const json& request) {
  const json* meta = metaOf(request);
  if (!meta || !meta->is_object()) {
    throw RpcError(kInvalidParams, "params._meta is required: it carries the request's protocol version "
                                   "and client capabilities");
  }
  RequestMeta checked;
  const auto version = meta->find(kProtocolVersionKey);
  if (version == meta->end() || !version->is_string()) {
    throw RpcError(kInvalidParams, std::string("_meta needs \"") + kProtocolVersionKey + "\", a string");
  }
  checked.protocol_version = version->get<std::string>();
  const auto capabilities = meta->find(kClientCapabilitiesKey);
  if (capabilities == meta->end() || !capabilities->is_object()) {
    throw RpcError(kInvalidParams, std::string("_meta needs \"") + kClientCapabilitiesKey + "\", an object");
  }
  checked.client_capabilities = *capabilities;
  if (const auto info = meta->find(kClientInfoKey); info != meta->end()) {
    if (!info->is_object()) {
      throw RpcError(kInvalidParams, std::string("_meta \"") + kClientInfoKey + "\" must be an object");
    }
    checked.client_info = *info;
  }
  if (const auto level = meta->find(kLogLevelKey); level != meta->end()) {
    if (!level->is_string() || logLevelIndex(level->get<std::string>()) < 0) {
      throw RpcError(kInvalidParams, std::string("_meta \"") + kLogLevelKey +
                                         "\" must be one of debug, info, notice, warning, error, "
                                         "critical, alert, emergency");
    }
    checked.log_level = logLevelIndex(level->get<std::string>());
  }
  if (!isStatelessProtocolVersion(checked.protocol_version)) {
    throw RpcError(kUnsupportedProtocolVersion, "unsupported protocol version '" + checked.protocol_version + "'",
                   unsupportedVersionData(checked.protocol_version));
  }
  return checked;
}

json unsupportedVersionData(const std::string& requested) {
  return {{"supported", allProtocolVersions()}, {"requested", requested}};
}

json statelessResult(json result, Method method, const json& server_info) {
  if (!result.is_object()) return result;
  if (!result.contains("resultType")) result["resultType"] = "complete";
  if (isCacheable(method) && !result.contains("ttlMs")) {
    const bool per_caller = method == Method::kResourcesRead;  // contents may differ by caller and moment
    result["ttlMs"] = per_caller ? 0 : kListTtlMs;
    result["cacheScope"] = per_caller ? "private" : "public";
  }
  json& meta = result["_meta"];
  if (!meta.is_object()) meta = json::object();
  meta[kServerInfoKey] = server_info;
  return result;
}

}  // namespace mcpkeep::mcp
