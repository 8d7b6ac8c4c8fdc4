#include "mcp/list_page.h"

namespace mcpkeep::mcp {

std::size_t cursorOffset(const nlohmann::json& params) {
  const auto cursor = params.find("cursor");
  if (cursor == params.end()) return 0;
  const bool ours = cursor->is_string() && !cursor->get_ref<const std::string&>().empty() &&
                    cursor->get_ref<const std::string&>().size() <= 9 &&
                    cursor->get_ref<const std::string&>().find_first_not_of("0123456789") ==
                        std::string::npos;
  if (!ours) throw RpcError(kInvalidParams, "invalid \"cursor\": pass back a nextCursor as given");
  return std::stoul(cursor->get<std::string>());
}

}  // namespace mcpkeep::mcp
