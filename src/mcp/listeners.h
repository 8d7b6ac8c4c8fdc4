// mcp::Listeners: the subscriptions/listen requests this process serves
// (protocol 2026-07-28). A listener is a request stream of the stateless
// session that stays open. What listeners ask for reaches that session's
// standalone stream whoever writes it, this process or another on the
// file: list changes through Hub::broadcast (every session), resource
// updates through the resource subscriptions the listeners hold for the
// session. One relay thread follows the standalone stream and copies each
// notification to the listeners that asked for it, tagged with their
// subscription id.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include <mcpkeep/hub.h>

namespace mcpkeep::mcp {

// What a listener asked for (params.notifications of subscriptions/listen).
struct ListenFilter {
  bool tools_list_changed = false;
  bool prompts_list_changed = false;
  bool resources_list_changed = false;
  std::set<std::string> resource_uris;
  std::set<std::string> task_ids;  // notifications/tasks of these tasks

  // Read from subscriptions/listen params. Throws RpcError(kInvalidParams).
  static ListenFilter fromParams(const nlohmann::json& params);
  // As the acknowledgement echoes it.
  nlohmann::json toJson() const;
  // Whether this notification (a JSON-RPC message) is one it asked for.
  bool wants(const nlohmann::json& notification) const;
};

class Listeners {
 public:
  explicit Listeners(Hub& hub) : hub_(hub) {}
  ~Listeners() { stop(); }

  Listeners(const Listeners&) = delete;
  Listeners& operator=(const Listeners&) = delete;

  // Starts relaying to `stream` of `session`, from the session's standalone
  // stream as it is now on; subscribes the session to the filter's URIs.
  void add(const std::string& session, StreamId stream, nlohmann::json subscription_id, ListenFilter filter);

  // Stops relaying to `stream` (its client went away); drops the resource
  // subscriptions no other listener holds. False if it is not a listener.
  bool remove(const std::string& session, StreamId stream);

  // Whether a listener asked for task notifications.
  bool wantTasks() const;

  // Ends the relay and every listener's stream (shutdown).
  void stop();

 private:
  struct Listener {
    std::string session;
    nlohmann::json subscription_id;
    ListenFilter filter;
  };

  void relay(std::string session, EventId from);
  void deliver(const std::string& session, const std::string& data);

  Hub& hub_;
  mutable std::mutex mutex_;
  std::map<StreamId, Listener> listeners_;
  std::string relay_session_;  // the session the relay follows; "" when none
  std::thread relay_;
  std::atomic<bool> stopping_{false};
};

}  // namespace mcpkeep::mcp
