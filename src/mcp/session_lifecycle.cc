#include "mcp/session_lifecycle.h"

#include "mcp/json_rpc.h"

namespace mcpkeep::mcp {

using nlohmann::json;

InitializeParams initializeParams(const json& request) {
  InitializeParams checked;
  std::string error;
  try {
    const json& params = paramsOf(request);
    if (params.contains("protocolVersion") && params["protocolVersion"].is_string()) {
      checked.params = &params;
      return checked;
    }
    error = "initialize needs \"protocolVersion\", a string";
  } catch (const RpcError& e) {
    error = e.what();
  }
  checked.refusal = errorMessage(request.at("id"), kInvalidParams, error);
  return checked;
}

Session beginSession(Store& store, const json& initialize_params, const std::string& version) {
  const Session session = store.createSession();
  store.markInitialized(session.id, version, initialize_params.value("capabilities", json::object()).dump(),
                        initialize_params.value("clientInfo", json::object()).dump());
  return *store.session(session.id);
}

std::optional<Session> touchSession(Store& store, const std::string& session_id) {
  std::optional<Session> session = store.session(session_id);
  if (session) store.touchSession(session_id);
  return session;
}

bool endSession(Hub& hub, const std::string& session_id) { return hub.removeSession(session_id); }

}  // namespace mcpkeep::mcp
