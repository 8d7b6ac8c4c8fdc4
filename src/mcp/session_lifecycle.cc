#include "mcp/session_lifecycle.h"

namespace mcpkeep::mcp {

using nlohmann::json;

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
