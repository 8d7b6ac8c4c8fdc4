// One page of a */list answer (tools/list, prompts/list): registries are
// maps ordered by name, and a cursor is the offset of the next page, as text.
#pragma once

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

#include "mcp/json_rpc.h"

namespace mcpkeep::mcp {

constexpr std::size_t kListPageSize = 100;

// The offset `params.cursor` names (0 without one). Throws
// RpcError(kInvalidParams) for a cursor that is not one we made.
std::size_t cursorOffset(const nlohmann::json& params);

// {key: [describe(item)...]} for the page of `registry` at params' cursor,
// with "nextCursor" when more follow.
template <typename Registry, typename Describe>
nlohmann::json listPage(const Registry& registry, const nlohmann::json& params,
                        const char* key, Describe describe) {
  const std::size_t offset = cursorOffset(params);
  nlohmann::json items = nlohmann::json::array();
  auto it = registry.begin();
  for (std::size_t i = 0; i < offset && it != registry.end(); ++i) ++it;
  for (; it != registry.end() && items.size() < kListPageSize; ++it) {
    items.push_back(describe(it->second));
  }
  nlohmann::json result = {{key, std::move(items)}};
  if (it != registry.end()) result["nextCursor"] = std::to_string(offset + result[key].size());
  return result;
}

}  // namespace mcpkeep::mcp
