#include "mcp/prompts.h"

#include <stdexcept>

#include "mcp/json_rpc.h"

namespace mcpkeep::mcp {

using nlohmann::json;

json describePrompt(const Prompt& prompt) {
  json entry = {{"name", prompt.name}, {"description", prompt.description}};
  if (!prompt.title.empty()) entry["title"] = prompt.title;
  json arguments = json::array();
  for (const PromptArgument& a : prompt.arguments) {
    json argument = {{"name", a.name}, {"required", a.required}};
    if (!a.description.empty()) argument["description"] = a.description;
    arguments.push_back(std::move(argument));
  }
  if (!arguments.empty()) entry["arguments"] = std::move(arguments);
  return entry;
}

namespace {

// A session's prompts/get is answered at once, with no stream to ask on.
class NoInputs : public InputContext {
 public:
  std::map<std::string, json> requestInputs(const std::map<std::string, InputRequest>&) override {
    throw ClientRequestError("a prompt can ask the client for input only in a stateless request (protocol 2026-07-28)");
  }
  json clientCapabilities() const override { return json::object(); }
};

}  // namespace

json getPrompt(const Prompt& prompt, const json& params, InputContext* inputs) {
  const json given = params.value("arguments", json::object());
  if (!given.is_object()) throw RpcError(kInvalidParams, "\"arguments\" must be an object");
  std::map<std::string, std::string> arguments;
  for (const auto& [name, value] : given.items()) {
    if (!value.is_string()) {
      throw RpcError(kInvalidParams, "argument '" + name + "' of prompt '" + prompt.name +
                                         "' must be a string");
    }
    arguments[name] = value.get<std::string>();
  }
  for (const PromptArgument& a : prompt.arguments) {
    if (a.required && arguments.count(a.name) == 0) {
      throw RpcError(kInvalidParams, "prompt '" + prompt.name + "' needs the argument '" +
                                         a.name + "'");
    }
  }
  json result;
  try {
    if (prompt.asking_handler) {
      NoInputs none;
      result = prompt.asking_handler(arguments, inputs ? *inputs : none);
    } else {
      result = prompt.handler(arguments);
    }
  } catch (const std::invalid_argument& e) {
    throw RpcError(kInvalidParams, e.what());
  } catch (const std::exception& e) {
    throw RpcError(kInternalError, "prompt '" + prompt.name + "' failed: " + e.what());
  }
  if (!result.is_object() || !result.contains("messages") || !result["messages"].is_array()) {
    throw RpcError(kInternalError, "prompt '" + prompt.name + "' returned no \"messages\" array");
  }
  return result;
}

}  // namespace mcpkeep::mcp
