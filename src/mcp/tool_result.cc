#include "mcp/tool_result.h"

#include "mcp/json_schema.h"

namespace mcpkeep::mcp {

using nlohmann::json;

json toolError(const std::string& message) {
  return {{"content", json::array({{{"type", "text"}, {"text", message}}})}, {"isError", true}};
}

std::optional<json> argumentsError(const Tool& tool, const json& arguments) {
  if (!tool.check_arguments) return std::nullopt;
  const std::string problem = schemaProblem(tool.input_schema, arguments);
  if (problem.empty()) return std::nullopt;
  return toolError("invalid arguments for tool '" + tool.name + "': " + problem);
}

json toolResult(const Tool& tool, json returned) {
  if (!returned.is_object()) return toolError("tool '" + tool.name + "' returned no result object");
  const bool failed = returned.value("isError", false);
  const auto structured = returned.find("structuredContent");
  if (tool.output_schema && !failed) {
    if (structured == returned.end()) {
      return toolError("tool '" + tool.name + "' has an output schema but returned no structuredContent");
    }
    const std::string problem = schemaProblem(*tool.output_schema, *structured);
    if (!problem.empty()) {
      return toolError("tool '" + tool.name + "' returned structuredContent that does not match its "
                       "output schema: " + problem);
    }
  }
  if (structured != returned.end() && !returned.contains("content")) {
    returned["content"] = json::array({{{"type", "text"}, {"text", structured->dump()}}});
  }
  return returned;
}

}  // namespace mcpkeep::mcp
