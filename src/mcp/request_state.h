// The requestState of a multi-round-trip request (protocol 2026-07-28):
// what the server needs to carry from one round to the next, given to the
// client and echoed back on its retry. The client is not trusted with it:
// the state is signed (HMAC-SHA256 with the file's key), bound to the
// request it was made for, and expires; anything else is refused.
#pragma once

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

namespace mcpkeep::mcp {

class RequestStateSigner {
 public:
  explicit RequestStateSigner(std::string key) : key_(std::move(key)) {}

  // `payload` (any JSON) as a state for the request `binding` names (its
  // method, tool and arguments), good for `ttl`.
  std::string sign(const nlohmann::json& payload, const std::string& binding,
                   std::chrono::seconds ttl = std::chrono::hours(1)) const;

  // The payload of a state this signer made for `binding` and that has not
  // expired. Throws RpcError(kInvalidParams) saying which check failed.
  nlohmann::json verify(const std::string& state, const std::string& binding) const;

 private:
  std::string mac(const std::string& text) const;

  const std::string key_;
};

}  // namespace mcpkeep::mcp
