// Resources: how fixed resources and templates are described in
// resources/list and resources/templates/list, and how resources/read
// finds the one that serves a URI.
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include <mcpkeep/mcp_server.h>

#include "mcp/uri_template.h"

namespace mcpkeep::mcp {

// A template with its parsed form.
struct TemplateEntry {
  ResourceTemplate info;
  UriTemplate parsed;
};

nlohmann::json describeResource(const Resource& resource);
nlohmann::json describeTemplate(const TemplateEntry& entry);

// The ResourceReader that serves `uri` and the variables to pass it: a
// fixed resource first, then the first template (by text) that matches.
// Throws RpcError(kResourceNotFound) naming the URI.
std::pair<ResourceReader, std::map<std::string, std::string>> findReader(
    const std::map<std::string, Resource>& resources,
    const std::map<std::string, TemplateEntry>& templates, const std::string& uri);

// Calls `reader` and checks its answer (see ResourceReader).
nlohmann::json readResource(const ResourceReader& reader, const std::string& uri,
                            const std::map<std::string, std::string>& variables);

}  // namespace mcpkeep::mcp
