// completion/complete: the Completer a reference names (a prompt's
// argument, or a resource template's variable), and its answer.
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include <mcpkeep/mcp_server.h>

#include "mcp/resources.h"

namespace mcpkeep::mcp {

// What to call for `params` ({ref, argument, context?}): the completer (empty
// when the argument has none) with the value typed and the context.
struct CompletionRequest {
  Completer completer;
  std::string value;
  std::map<std::string, std::string> context;
};

// Throws RpcError(kInvalidParams) naming a malformed field, an unknown
// prompt or template, or an argument it does not have.
CompletionRequest findCompletion(const std::map<std::string, Prompt>& prompts,
                                 const std::map<std::string, TemplateEntry>& templates,
                                 const nlohmann::json& params);

// {"completion": {"values": the first 100, "total", "hasMore"}}.
nlohmann::json complete(const CompletionRequest& request);

}  // namespace mcpkeep::mcp
