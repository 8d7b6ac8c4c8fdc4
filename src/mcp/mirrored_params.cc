#include "mcp/mirrored_params.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <stdexcept>

namespace mcpkeep::mcp {

using nlohmann::json;

namespace {

constexpr const char* kAnnotation = "x-mcp-header";

// RFC 9110 tchar.
bool isToken(const std::string& name) {
  static const std::string kSymbols = "!#$%&'*+-.^_`|~";
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || kSymbols.find(c) != std::string::npos;
  });
}

int countAnnotations(const json& schema) {
  int n = 0;
  if (schema.is_object()) {
    for (const auto& [key, value] : schema.items()) n += (key == kAnnotation) + countAnnotations(value);
  } else if (schema.is_array()) {
    for (const json& value : schema) n += countAnnotations(value);
  }
  return n;
}

void collect(const json& schema, std::vector<std::string>& path, std::vector<Dispatcher::MirroredParam>& found) {
  const auto properties = schema.find("properties");
  if (properties == schema.end() || !properties->is_object()) return;
  for (const auto& [name, property] : properties->items()) {
    if (!property.is_object()) continue;
    path.push_back(name);
    if (const auto header = property.find(kAnnotation); header != property.end()) {
      const std::string where = "x-mcp-header of property '" + name + "'";
      if (!header->is_string() || !isToken(header->get<std::string>())) {
        throw std::invalid_argument(where + " must be a non-empty HTTP token");
      }
      const std::string type = property.value("type", std::string());
      if (type != "string" && type != "integer" && type != "boolean") {
        throw std::invalid_argument(where + ": only string, integer and boolean properties may be mirrored");
      }
      found.push_back({header->get<std::string>(), path, type});
    }
    collect(property, path, found);
    path.pop_back();
  }
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

std::vector<Dispatcher::MirroredParam> mirroredParams(const json& input_schema) {
  std::vector<Dispatcher::MirroredParam> found;
  std::vector<std::string> path;
  collect(input_schema, path, found);
  if (static_cast<int>(found.size()) != countAnnotations(input_schema)) {
    throw std::invalid_argument(
        "x-mcp-header may only annotate properties reached from the schema's root through \"properties\"");
  }
  std::set<std::string> seen;
  for (const auto& param : found) {
    if (!seen.insert(lower(param.header)).second) {
      throw std::invalid_argument("x-mcp-header '" + param.header + "' is used twice");
    }
  }
  return found;
}

}  // namespace mcpkeep::mcp
