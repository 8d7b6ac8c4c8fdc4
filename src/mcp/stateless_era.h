// Protocol 2026-07-28, the stateless era: what a request carries in its
// _meta instead of a session, and what every result carries back.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "mcp/methods.h"

namespace mcpkeep::mcp {

// Reserved _meta keys.
extern const char* const kProtocolVersionKey;     // io.modelcontextprotocol/protocolVersion
extern const char* const kClientCapabilitiesKey;  // io.modelcontextprotocol/clientCapabilities
extern const char* const kClientInfoKey;          // io.modelcontextprotocol/clientInfo
extern const char* const kLogLevelKey;            // io.modelcontextprotocol/logLevel
extern const char* const kServerInfoKey;          // io.modelcontextprotocol/serverInfo
extern const char* const kSubscriptionIdKey;      // io.modelcontextprotocol/subscriptionId

// What a stateless request says of its caller, checked.
struct RequestMeta {
  std::string protocol_version;
  nlohmann::json client_capabilities = nlohmann::json::object();
  nlohmann::json client_info;  // null when not given (it is optional)
  int log_level = -1;          // index of logLevel; -1: the client wants no logs
};

// True when the message's params._meta names a protocol version: a
// stateless-era message (whether the version is served or not).
bool carriesRequestMeta(const nlohmann::json& message);

// The request's _meta, checked. Throws RpcError: kInvalidParams for a
// missing _meta, a missing required field or one of the wrong type;
// kUnsupportedProtocolVersion (with data {supported, requested}) for a
// version this server does not serve statelessly.
RequestMeta readRequestMeta(const nlohmann::json& request);

// The data of an unsupported-version error: {supported, requested}.
nlohmann::json unsupportedVersionData(const std::string& requested);

// A result as the stateless era sends it: resultType "complete" unless it
// has one, caching hints on cacheable methods, the server named in _meta.
nlohmann::json statelessResult(nlohmann::json result, Method method,
                               const nlohmann::json& server_info);

}  // namespace mcpkeep::mcp
