#include "mcp/resources.h"

#include <stdexcept>

#include "mcp/json_rpc.h"

namespace mcpkeep::mcp {

using nlohmann::json;

namespace {

void addOptional(json& entry, const char* key, const std::string& value) {
  if (!value.empty()) entry[key] = value;
}

}  // namespace

json describeResource(const Resource& resource) {
  json entry = {{"uri", resource.uri}, {"name", resource.name}};
  addOptional(entry, "title", resource.title);
  addOptional(entry, "description", resource.description);
  addOptional(entry, "mimeType", resource.mime_type);
  return entry;
}

json describeTemplate(const TemplateEntry& entry) {
  const ResourceTemplate& t = entry.info;
  json described = {{"uriTemplate", t.uri_template}, {"name", t.name}};
  addOptional(described, "title", t.title);
  addOptional(described, "description", t.description);
  addOptional(described, "mimeType", t.mime_type);
  return described;
}

std::pair<ResourceReader, std::map<std::string, std::string>> findReader(
    const std::map<std::string, Resource>& resources,
    const std::map<std::string, TemplateEntry>& templates, const std::string& uri) {
  if (const auto fixed = resources.find(uri); fixed != resources.end()) {
    return {fixed->second.handler, {}};
  }
  for (const auto& [text, entry] : templates) {
    if (auto variables = entry.parsed.match(uri)) return {entry.info.handler, std::move(*variables)};
  }
  throw RpcError(kResourceNotFound, "resource not found: " + uri, json{{"uri", uri}});
}

json readResource(const ResourceReader& reader, const std::string& uri,
                  const std::map<std::string, std::string>& variables) {
  json result;
  try {
    result = reader(uri, variables);
  } catch (const std::invalid_argument& e) {
    throw RpcError(kInvalidParams, e.what());
  } catch (const std::exception& e) {
    throw RpcError(kInternalError, "reading " + uri + " failed: " + e.what());
  }
  if (!result.is_object() || !result.contains("contents") || !result["contents"].is_array()) {
    throw RpcError(kInternalError, "reading " + uri + " returned no \"contents\" array");
  }
  return result;
}

}  // namespace mcpkeep::mcp
