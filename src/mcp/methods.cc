#include "mcp/methods.h"

#include <unordered_map>

namespace mcpkeep::mcp {
namespace {

struct Entry {
  const char* name;
  Method method;
};

constexpr Entry kMethods[] = {
    {"initialize", Method::kInitialize},
    {"ping", Method::kPing},
    {"tools/list", Method::kToolsList},
    {"tools/call", Method::kToolsCall},
    {"prompts/list", Method::kPromptsList},
    {"prompts/get", Method::kPromptsGet},
    {"resources/list", Method::kResourcesList},
    {"resources/templates/list", Method::kResourcesTemplatesList},
    {"resources/read", Method::kResourcesRead},
    {"resources/subscribe", Method::kResourcesSubscribe},
    {"resources/unsubscribe", Method::kResourcesUnsubscribe},
    {"completion/complete", Method::kCompletionComplete},
    {"logging/setLevel", Method::kLoggingSetLevel},
};

}  // namespace

std::optional<Method> findMethod(const std::string& name) {
  static const std::unordered_map<std::string, Method> by_name = [] {
    std::unordered_map<std::string, Method> map;
    for (const Entry& e : kMethods) map.emplace(e.name, e.method);
    return map;
  }();
  const auto it = by_name.find(name);
  if (it == by_name.end()) return std::nullopt;
  return it->second;
}

}  // namespace mcpkeep::mcp
