// The requests an MCP client may send, each named once with what the
// protocol says of it: McpServer dispatches on Method, the HTTP endpoint
// routes by era, and the metrics label the methods findMethod knows.
#pragma once

#include <optional>
#include <string>

namespace mcpkeep::mcp {

enum class Method {
  kInitialize,
  kPing,
  kServerDiscover,
  kSubscriptionsListen,
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
  kTasksGet,
  kTasksUpdate,
  kTasksCancel,
};

// The method a request's "method" names; nullopt for one MCP does not define.
std::optional<Method> findMethod(const std::string& name);

// The method's name on the wire.
const char* methodName(Method method);

// Whether the session era (initialize, 2025-11-25 and before) serves it.
bool inSessionEra(Method method);

// Whether the stateless era (2026-07-28) serves it; the session-era methods
// it removed (initialize, ping, logging/setLevel, resources/subscribe and
// unsubscribe) are unknown methods there.
bool inStatelessEra(Method method);

// Stateless era: results that carry caching hints (ttlMs, cacheScope).
bool isCacheable(Method method);

// Stateless era: requests that may be answered "input_required" (MRTR).
bool mayRequireInput(Method method);

}  // namespace mcpkeep::mcp
