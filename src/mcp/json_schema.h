// mcp::schemaProblem: checks a value against a JSON Schema, for a tool's
// arguments against its input schema and its structuredContent against its
// output schema. It knows the keywords tool schemas use (2020-12): type,
// enum, const; properties, required, additionalProperties; items,
// minItems, maxItems; minimum, maximum, exclusiveMinimum, exclusiveMaximum;
// minLength, maxLength; allOf, anyOf, oneOf, not; and $ref within the
// schema ("#", "#/$defs/..."). It ignores the others (pattern, format, ...),
// so it refuses a value only for a rule the value really breaks.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace mcpkeep::mcp {

// The first problem found ("at /items/2: expected integer"), or "" if
// `value` satisfies `schema`.
std::string schemaProblem(const nlohmann::json& schema, const nlohmann::json& value);

}  // namespace mcpkeep::mcp
