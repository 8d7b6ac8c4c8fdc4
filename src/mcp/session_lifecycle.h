// Session creation, touch and end: one place for every answerer (McpServer
// and the gateway) and the HTTP endpoint, so a session means the same
// whoever answers it.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include <mcpkeep/hub.h>

namespace mcpkeep::mcp {

// The params of an `initialize` request, checked (an object with a string
// "protocolVersion"); else the error message to refuse it with, as
// Dispatch::rejection wants it.
struct InitializeParams {
  const nlohmann::json* params = nullptr;  // into the request
  std::optional<nlohmann::json> refusal;   // set when params is null
};
InitializeParams initializeParams(const nlohmann::json& request);

// Creates a session initialized at `version` with the client's capabilities
// and info from the params of its `initialize`.
Session beginSession(Store& store, const nlohmann::json& initialize_params, const std::string& version);

// The session, its activity recorded (for idle expiry); nullopt when there
// is none (expired or deleted).
std::optional<Session> touchSession(Store& store, const std::string& session_id);

// Removes the session with its streams and events and ends its
// subscribers. False when there was none.
bool endSession(Hub& hub, const std::string& session_id);

}  // namespace mcpkeep::mcp
