// libFuzzer target: the JSON-RPC message parser and validator. Any input
// must give a message or an RpcError, never a crash, a hang or another
// exception; what parses must serialise again.
#include <cstddef>
#include <cstdint>
#include <string>

#include "mcp/json_rpc.h"

using mcpkeep::mcp::MessageKind;
using mcpkeep::mcp::RpcError;

namespace {

void check(const nlohmann::json& message) {
  try {
    const MessageKind kind = mcpkeep::mcp::classify(message);
    if (kind == MessageKind::kResponse) return;
    const nlohmann::json& params = mcpkeep::mcp::paramsOf(message);
    mcpkeep::mcp::requireString(params, "name", "fuzz");
  } catch (const RpcError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  nlohmann::json message;
  try {
    message = mcpkeep::mcp::parseBody(body);
  } catch (const RpcError&) {
    return 0;
  }
  (void)message.dump();  // what was accepted can be stored
  if (message.is_array()) {
    for (const auto& element : message) check(element);
  } else {
    check(message);
  }
  return 0;
}
