// JSON-RPC 2.0 messages: validation, classification, and the messages the
// server writes. Transport-agnostic.
#pragma once

#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace mcpkeep::mcp {

// JSON-RPC error codes.
constexpr int kParseError = -32700;
constexpr int kInvalidRequest = -32600;
constexpr int kMethodNotFound = -32601;
constexpr int kInvalidParams = -32602;
constexpr int kInternalError = -32603;
// MCP's code for resources/read of a URI no resource or template serves
// (protocol 2025-11-25 and earlier; 2026-07-28 answers kInvalidParams).
constexpr int kResourceNotFound = -32002;
// Protocol 2026-07-28's codes: HTTP headers that do not match the body; a
// request that needs a client capability its _meta does not declare; a
// protocol version the server does not serve.
constexpr int kHeaderMismatch = -32020;
constexpr int kMissingClientCapability = -32021;
constexpr int kUnsupportedProtocolVersion = -32022;

// A JSON-RPC error to answer with; `what()` is the message sent to the client.
class RpcError : public std::runtime_error {
 public:
  RpcError(int code, const std::string& message, nlohmann::json data = nullptr)
      : std::runtime_error(message), code_(code), data_(std::move(data)) {}
  int code() const noexcept { return code_; }
  // The error's "data" member; null: none.
  const nlohmann::json& data() const noexcept { return data_; }

 private:
  int code_;
  nlohmann::json data_;
};

enum class MessageKind { kRequest, kNotification, kResponse };

// Checks that `message` is one JSON-RPC 2.0 message and says which kind.
// Throws RpcError(kInvalidRequest) naming the problem.
MessageKind classify(const nlohmann::json& message);

// Parses a request body. Throws RpcError(kParseError) for invalid JSON or
// nesting deeper than `max_depth` (checked before parsing, so a hostile
// body cannot exhaust the stack).
nlohmann::json parseBody(const std::string& body, int max_depth = 64);

nlohmann::json resultMessage(const nlohmann::json& id, const nlohmann::json& result);
nlohmann::json errorMessage(const nlohmann::json& id, int code, const std::string& message,
                            const nlohmann::json& data = nullptr);
nlohmann::json notificationMessage(const std::string& method, const nlohmann::json& params);

// The answer to request `id` that the server stopped, or died, before it
// finished: -32603, "request interrupted...".
nlohmann::json interruptedError(const nlohmann::json& id);

// The params object of a request or notification ({} when absent). Throws
// RpcError(kInvalidParams) if present but not an object.
const nlohmann::json& paramsOf(const nlohmann::json& message);

// object[key], a string. Throws RpcError(kInvalidParams) naming it otherwise:
// `<where> needs "<key>", a string`.
const std::string& requireString(const nlohmann::json& object, const char* key,
                                 const std::string& where);

}  // namespace mcpkeep::mcp
