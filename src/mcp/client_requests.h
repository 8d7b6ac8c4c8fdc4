// mcp::ClientRequests: requests the server sent to clients (sampling,
// elicitation, roots) that wait for the responses clients POST back.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

namespace mcpkeep::mcp {

// The client capability a server-to-client request needs ("" for none).
std::string requiredCapability(const std::string& method);

// "mcpkeep-<stream>-<n>": the id of a request to the client sent on
// `stream` (0: the standalone stream), the nth of its sender. The stream
// tells another replica where the client's answer belongs.
std::string clientRequestId(int64_t stream, uint64_t n);
// The stream a clientRequestId names; 0 for any other id.
int64_t streamOfClientRequest(const nlohmann::json& id);

class ClientRequests {
 public:
  // A fresh id for a request sent on `stream`. Stream ids are never reused,
  // so an answer to a request of an earlier process never matches a new one.
  nlohmann::json newId(int64_t stream);

  // Starts waiting for the response to `id`; call before sending the
  // request, so a quick answer is not lost.
  void expect(const std::string& session, const nlohmann::json& id);

  // The response (a JSON-RPC response message) once it comes; nullopt at
  // `deadline` or as soon as `stop()` is true (checked every 50 ms). Either
  // way the id is forgotten.
  std::optional<nlohmann::json> await(const std::string& session, const nlohmann::json& id,
                                      std::chrono::steady_clock::time_point deadline,
                                      const std::function<bool()>& stop);

  // Stops waiting for `id` (the request could not be sent).
  void forget(const std::string& session, const nlohmann::json& id);

  // Hands a client's response to its waiter; false if no one waits for it.
  bool deliver(const std::string& session, const nlohmann::json& response);

 private:
  using Key = std::pair<std::string, std::string>;  // session, id as JSON text

  std::mutex mutex_;
  std::condition_variable arrived_;
  std::map<Key, std::optional<nlohmann::json>> waiting_;
  uint64_t sent_ = 0;
};

}  // namespace mcpkeep::mcp
