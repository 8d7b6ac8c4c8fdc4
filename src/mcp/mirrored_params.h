// Tool arguments mirrored into HTTP headers (protocol 2026-07-28, SEP-2243):
// a property of a tool's input schema annotated "x-mcp-header": "Region" is
// sent by clients as the header Mcp-Param-Region too, and the server checks
// that the two agree.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <mcpkeep/dispatcher.h>

namespace mcpkeep::mcp {

// The annotated properties of `input_schema`. Throws std::invalid_argument
// naming the problem for an annotation the spec forbids: not a non-empty
// HTTP token, repeated (case-insensitively), on a property that is not a
// string, integer or boolean, or not reachable from the root through
// "properties" alone.
std::vector<Dispatcher::MirroredParam> mirroredParams(const nlohmann::json& input_schema);

}  // namespace mcpkeep::mcp
