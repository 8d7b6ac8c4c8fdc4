// The requests an MCP client may send, each named once: McpServer
// dispatches on Method, and the metrics label the methods findMethod knows.
#pragma once

#include <optional>
#include <string>

namespace mcpkeep::mcp {

enum class Method {
  kInitialize,
  kPing,
  kToolsList,
  kToolsCall,
  kPromptsList,
  kPromptsGet,
  kResourcesList,
  kResourcesTemplatesList,
  kResourcesRead,
  kResourcesSubscribe,
  kResourcesUnsubscribe,
  kCompletionComplete,
  kLoggingSetLevel,
};

// The method a request's "method" names; nullopt for one MCP does not define.
std::optional<Method> findMethod(const std::string& name);

}  // namespace mcpkeep::mcp
