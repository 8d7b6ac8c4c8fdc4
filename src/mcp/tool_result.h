// What a tool handler's return becomes on the wire (a CallToolResult).
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include <mcpkeep/mcp_server.h>

namespace mcpkeep::mcp {

// The isError result that reports `message` to the client (and its model).
nlohmann::json toolError(const std::string& message);

// The isError result for arguments that do not match the tool's input
// schema, or nothing when they match (or the tool checks its own).
std::optional<nlohmann::json> argumentsError(const Tool& tool, const nlohmann::json& arguments);

// `returned`, checked: an object; for a tool with an output schema, unless
// it is an error, with structuredContent that matches the schema (otherwise
// a toolError naming the mismatch); and with structuredContent also given
// as text content when the handler gave no content, as MCP asks for older
// clients.
nlohmann::json toolResult(const Tool& tool, nlohmann::json returned);

}  // namespace mcpkeep::mcp
