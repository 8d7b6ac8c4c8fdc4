#include "mcp/json_rpc.h"

namespace mcpkeep::mcp {
namespace {

// Longer string ids are refused: they would be stored and sent back with
// every response (UUIDs and counters are far shorter).
constexpr std::size_t kMaxIdLength = 256;

void requireValidId(const nlohmann::json& id) {
  if (id.is_number_integer() || id.is_number_unsigned()) return;
  if (!id.is_string()) throw RpcError(kInvalidRequest, "\"id\" must be a string or an integer");
  if (id.get_ref<const std::string&>().size() > kMaxIdLength) {
    throw RpcError(kInvalidRequest,
                   "\"id\" is longer than " + std::to_string(kMaxIdLength) + " characters");
  }
}

// The deepest nesting of arrays and objects in `text`, outside strings.
int nestingDepth(const std::string& text) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

}  // namespace

MessageKind classify(const nlohmann::json& m) {
  if (!m.is_object()) throw RpcError(kInvalidRequest, "a JSON-RPC message must be a JSON object");
  const auto version = m.find("jsonrpc");
  if (version == m.end() || *version != "2.0") {
    throw RpcError(kInvalidRequest, "\"jsonrpc\" must be \"2.0\"");
  }
  const auto method = m.find("method");
  const auto id = m.find("id");
  if (method != m.end()) {
    if (!method->is_string() || method->get_ref<const std::string&>().empty()) {
      throw RpcError(kInvalidRequest, "\"method\" must be a non-empty string");
    }
    if (id == m.end()) return MessageKind::kNotification;
    requireValidId(*id);
    return MessageKind::kRequest;
  }
  if (id != m.end() && (m.contains("result") != m.contains("error"))) {
    requireValidId(*id);
    return MessageKind::kResponse;
  }
  throw RpcError(kInvalidRequest,
                 "not a request (no \"method\") nor a response (\"id\" with \"result\" or \"error\")");
}

nlohmann::json parseBody(const std::string& body, int max_depth) {
  if (nestingDepth(body) > max_depth) {
    throw RpcError(kParseError, "JSON nested deeper than " + std::to_string(max_depth) + " levels");
  }
  nlohmann::json parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) throw RpcError(kParseError, "the body is not valid JSON");
  return parsed;
}

nlohmann::json resultMessage(const nlohmann::json& id, const nlohmann::json& result) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"result", result}};
}

nlohmann::json errorMessage(const nlohmann::json& id, int code, const std::string& message,
                            const nlohmann::json& data) {
  nlohmann::json error = {{"code", code}, {"message", message}};
  if (!data.is_null()) error["data"] = data;
  return {{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(error)}};
}

nlohmann::json interruptedError(const nlohmann::json& id) {
  return errorMessage(id, kInternalError,
                      "request interrupted: the server stopped before it finished; send it again");
}

nlohmann::json notificationMessage(const std::string& method, const nlohmann::json& params) {
  return {{"jsonrpc", "2.0"}, {"method", method}, {"params", params}};
}

const nlohmann::json& paramsOf(const nlohmann::json& message) {
  static const nlohmann::json kEmpty = nlohmann::json::object();
  const auto params = message.find("params");
  if (params == message.end() || params->is_null()) return kEmpty;
  if (!params->is_object()) throw RpcError(kInvalidParams, "\"params\" must be an object");
  return *params;
}

const std::string& requireString(const nlohmann::json& object, const char* key,
                                 const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string()) {
    throw RpcError(kInvalidParams, where + " needs \"" + key + "\", a string");
  }
  return it->get_ref<const std::string&>();
}

}  // namespace mcpkeep::mcp
