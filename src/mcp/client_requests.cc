#include "mcp/client_requests.h"

#include <regex>

namespace mcpkeep::mcp {

using nlohmann::json;

std::string requiredCapability(const std::string& method) {
  if (method == "sampling/createMessage") return "sampling";
  if (method == "elicitation/create") return "elicitation";
  if (method == "roots/list") return "roots";
  return std::string();
}

std::string clientRequestId(int64_t stream, uint64_t n) {
  return "mcpkeep-" + std::to_string(stream) + "-" + std::to_string(n);
}

int64_t streamOfClientRequest(const json& id) {
  static const std::regex pattern("mcpkeep-([0-9]{1,18})-[0-9]+");
  std::smatch match;
  if (!id.is_string()) return 0;
  const std::string text = id.get<std::string>();
  return std::regex_match(text, match, pattern) ? std::stoll(match[1]) : 0;
}

json ClientRequests::newId(int64_t stream) {
  std::lock_guard<std::mutex> lock(mutex_);
  return clientRequestId(stream, ++sent_);
}

void ClientRequests::expect(const std::string& session, const json& id) {
  std::lock_guard<std::mutex> lock(mutex_);
  waiting_[{session, id.dump()}] = std::nullopt;
}

std::optional<json> ClientRequests::await(const std::string& session, const json& id,
                                          std::chrono::steady_clock::time_point deadline,
                                          const std::function<bool()>& stop) {
  const Key key{session, id.dump()};
  std::unique_lock<std::mutex> lock(mutex_);
  const auto answered = [&] { return waiting_.at(key).has_value(); };
  while (!answered() && !stop() && std::chrono::steady_clock::now() < deadline) {
    arrived_.wait_until(lock, std::min(deadline, std::chrono::steady_clock::now() +
                                                     std::chrono::milliseconds(50)));
  }
  std::optional<json> response = std::move(waiting_.at(key));
  waiting_.erase(key);
  return response;
}

void ClientRequests::forget(const std::string& session, const json& id) {
  std::lock_guard<std::mutex> lock(mutex_);
  waiting_.erase({session, id.dump()});
}

bool ClientRequests::deliver(const std::string& session, const json& response) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto waiter = waiting_.find({session, response.value("id", json()).dump()});
    if (waiter == waiting_.end() || waiter->second) return false;
    waiter->second = response;
  }
  arrived_.notify_all();
  return true;
}

}  // namespace mcpkeep::mcp
