#include "mcp/log_level.h"

#include <algorithm>
#include <vector>

namespace mcpkeep::mcp {

int logLevelIndex(const std::string& level) {
  static const std::vector<std::string> levels = {"debug", "info",     "notice", "warning",
                                                  "error", "critical", "alert",  "emergency"};
  const auto it = std::find(levels.begin(), levels.end(), level);
  return it == levels.end() ? -1 : static_cast<int>(it - levels.begin());
}

}  // namespace mcpkeep::mcp
