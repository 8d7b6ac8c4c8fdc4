// Prompts: how one is described in prompts/list and answered for
// prompts/get (argument checks first, then the handler).
#pragma once

#include <nlohmann/json.hpp>

#include <mcpkeep/mcp_server.h>

namespace mcpkeep::mcp {

nlohmann::json describePrompt(const Prompt& prompt);

// The GetPromptResult for `params` (its "arguments"). Throws
// RpcError(kInvalidParams) naming a missing or non-string argument, or
// what the handler threw (see PromptHandler). An asking_handler asks
// through `inputs` (null: it cannot ask; its requests fail). The internal
// exceptions of a stateless caller's inputs (InputRequired,
// CapabilityMissing) pass through.
nlohmann::json getPrompt(const Prompt& prompt, const nlohmann::json& params, InputContext* inputs = nullptr);

}  // namespace mcpkeep::mcp
