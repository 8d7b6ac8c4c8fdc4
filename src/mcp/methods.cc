#include "mcp/methods.h"

#include <stdexcept>
#include <unordered_map>

namespace mcpkeep::mcp {
namespace {

enum Facts : unsigned {
  kSession = 1,         // served in the session era
  kStateless = 2,       // served in the stateless era
  kCacheable = 4,       // stateless results carry caching hints
  kMayAskInput = 8,     // may be answered input_required
  kBoth = kSession | kStateless,
};

struct Entry {
  const char* name;
  Method method;
  unsigned facts;
};

constexpr Entry kMethods[] = {
    {"initialize", Method::kInitialize, kSession},
    {"ping", Method::kPing, kSession},
    {"server/discover", Method::kServerDiscover, kStateless | kCacheable},
    {"subscriptions/listen", Method::kSubscriptionsListen, kStateless},
    {"tools/list", Method::kToolsList, kBoth | kCacheable},
    {"tools/call", Method::kToolsCall, kBoth | kMayAskInput},
    {"prompts/list", Method::kPromptsList, kBoth | kCacheable},
    {"prompts/get", Method::kPromptsGet, kBoth | kMayAskInput},
    {"resources/list", Method::kResourcesList, kBoth | kCacheable},
    {"resources/templates/list", Method::kResourcesTemplatesList, kBoth | kCacheable},
    {"resources/read", Method::kResourcesRead, kBoth | kCacheable | kMayAskInput},
    {"resources/subscribe", Method::kResourcesSubscribe, kSession},
    {"resources/unsubscribe", Method::kResourcesUnsubscribe, kSession},
    {"completion/complete", Method::kCompletionComplete, kBoth},
    {"logging/setLevel", Method::kLoggingSetLevel, kSession},
    {"tasks/get", Method::kTasksGet, kStateless},
    {"tasks/update", Method::kTasksUpdate, kStateless},
    {"tasks/cancel", Method::kTasksCancel, kStateless},
};

const Entry& entry(Method method) {
  for (const Entry& e : kMethods) {
    if (e.method == method) return e;
  }
  throw std::logic_error("a Method without an entry in kMethods");
}

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

const char* methodName(Method method) { return entry(method).name; }
bool inSessionEra(Method method) { return (entry(method).facts & kSession) != 0; }
bool inStatelessEra(Method method) { return (entry(method).facts & kStateless) != 0; }
bool isCacheable(Method method) { return (entry(method).facts & kCacheable) != 0; }
bool mayRequireInput(Method method) { return (entry(method).facts & kMayAskInput) != 0; }

}  // namespace mcpkeep::mcp
