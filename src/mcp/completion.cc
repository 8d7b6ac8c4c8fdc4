#include "mcp/completion.h"

#include <algorithm>

#include "mcp/json_rpc.h"

namespace mcpkeep::mcp {

using nlohmann::json;

namespace {

const std::size_t kMaxValues = 100;  // MCP's limit per response

}  // namespace

CompletionRequest findCompletion(const std::map<std::string, Prompt>& prompts,
                                 const std::map<std::string, TemplateEntry>& templates,
                                 const json& params) {
  const auto ref = params.find("ref");
  const auto argument = params.find("argument");
  if (ref == params.end() || !ref->is_object()) {
    throw RpcError(kInvalidParams, "completion/complete needs \"ref\", an object");
  }
  if (argument == params.end() || !argument->is_object()) {
    throw RpcError(kInvalidParams, "completion/complete needs \"argument\", an object");
  }
  CompletionRequest request;
  const std::string& name = requireString(*argument, "name", "\"argument\"");
  request.value = requireString(*argument, "value", "\"argument\"");
  if (const auto context = params.find("context"); context != params.end()) {
    const json arguments = context->is_object() ? context->value("arguments", json::object()) : json();
    if (!arguments.is_object()) {
      throw RpcError(kInvalidParams, "\"context.arguments\" must be an object of strings");
    }
    for (const auto& [key, value] : arguments.items()) {
      if (!value.is_string()) {
        throw RpcError(kInvalidParams, "\"context.arguments." + key + "\" must be a string");
      }
      request.context[key] = value.get<std::string>();
    }
  }

  const std::string& type = requireString(*ref, "type", "\"ref\"");
  if (type == "ref/prompt") {
    const std::string& prompt_name = requireString(*ref, "name", "\"ref\"");
    const auto prompt = prompts.find(prompt_name);
    if (prompt == prompts.end()) throw RpcError(kInvalidParams, "unknown prompt '" + prompt_name + "'");
    const auto& arguments = prompt->second.arguments;
    const auto found = std::find_if(arguments.begin(), arguments.end(),
                                    [&](const PromptArgument& a) { return a.name == name; });
    if (found == arguments.end()) {
      throw RpcError(kInvalidParams, "prompt '" + prompt_name + "' has no argument '" + name + "'");
    }
    request.completer = found->complete;
  } else if (type == "ref/resource") {
    const std::string& uri = requireString(*ref, "uri", "\"ref\"");
    const auto entry = templates.find(uri);
    if (entry == templates.end()) throw RpcError(kInvalidParams, "unknown resource template '" + uri + "'");
    const auto& variables = entry->second.parsed.variables();
    if (std::find(variables.begin(), variables.end(), name) == variables.end()) {
      throw RpcError(kInvalidParams, "resource template '" + uri + "' has no variable '" + name + "'");
    }
    const auto completer = entry->second.info.completions.find(name);
    if (completer != entry->second.info.completions.end()) request.completer = completer->second;
  } else {
    throw RpcError(kInvalidParams, "\"ref.type\" must be \"ref/prompt\" or \"ref/resource\"");
  }
  return request;
}

json complete(const CompletionRequest& request) {
  std::vector<std::string> values;
  try {
    if (request.completer) values = request.completer(request.value, request.context);
  } catch (const std::exception& e) {
    throw RpcError(kInternalError, std::string("completion failed: ") + e.what());
  }
  const std::size_t total = values.size();
  if (values.size() > kMaxValues) values.resize(kMaxValues);
  return {{"completion", {{"values", values}, {"total", total}, {"hasMore", total > kMaxValues}}}};
}

}  // namespace mcpkeep::mcp
