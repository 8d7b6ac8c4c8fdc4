#include "mcp/listeners.h"

#include "log/log.h"
#include "mcp/json_rpc.h"
#include "mcp/stateless_era.h"

namespace mcpkeep::mcp {

using nlohmann::json;

ListenFilter ListenFilter::fromParams(const json& params) {
  ListenFilter filter;
  const auto asked = params.find("notifications");
  if (asked == params.end()) return filter;
  if (!asked->is_object()) throw RpcError(kInvalidParams, "\"notifications\" must be an object");
  const auto flag = [&](const char* key) {
    const auto it = asked->find(key);
    if (it == asked->end()) return false;
    if (!it->is_boolean()) throw RpcError(kInvalidParams, std::string("notifications.") + key + " must be a boolean");
    return it->get<bool>();
  };
  filter.tools_list_changed = flag("toolsListChanged");
  filter.prompts_list_changed = flag("promptsListChanged");
  filter.resources_list_changed = flag("resourcesListChanged");
  if (const auto uris = asked->find("resourceSubscriptions"); uris != asked->end()) {
    if (!uris->is_array()) throw RpcError(kInvalidParams, "notifications.resourceSubscriptions must be an array of URIs");
    for (const json& uri : *uris) {
      if (!uri.is_string() || uri.get<std::string>().empty()) {
        throw RpcError(kInvalidParams, "notifications.resourceSubscriptions must hold non-empty strings");
      }
      filter.resource_uris.insert(uri.get<std::string>());
    }
  }
  if (const auto ids = asked->find("taskIds"); ids != asked->end()) {
    if (!ids->is_array()) throw RpcError(kInvalidParams, "notifications.taskIds must be an array of task ids");
    for (const json& id : *ids) {
      if (!id.is_string()) throw RpcError(kInvalidParams, "notifications.taskIds must hold strings");
      filter.task_ids.insert(id.get<std::string>());
    }
  }
  return filter;
}

json ListenFilter::toJson() const {
  json out = json::object();
  if (tools_list_changed) out["toolsListChanged"] = true;
  if (prompts_list_changed) out["promptsListChanged"] = true;
  if (resources_list_changed) out["resourcesListChanged"] = true;
  if (!resource_uris.empty()) out["resourceSubscriptions"] = resource_uris;
  if (!task_ids.empty()) out["taskIds"] = task_ids;
  return out;
}

bool ListenFilter::wants(const json& notification) const {
  const std::string method = notification.value("method", "");
  if (method == "notifications/tools/list_changed") return tools_list_changed;
  if (method == "notifications/prompts/list_changed") return prompts_list_changed;
  if (method == "notifications/resources/list_changed") return resources_list_changed;
  if (method == "notifications/tasks") {
    const json& params = notification.value("params", json::object());
    return params.is_object() && params.contains("taskId") && params["taskId"].is_string() &&
           task_ids.count(params["taskId"].get<std::string>()) > 0;
  }
  if (method == "notifications/resources/updated") {
    const json& params = notification.value("params", json::object());
    return params.is_object() && params.contains("uri") && params["uri"].is_string() &&
           resource_uris.count(params["uri"].get<std::string>()) > 0;
  }
  return false;
}

void Listeners::add(const std::string& session, StreamId stream, json subscription_id, ListenFilter filter) {
  for (const std::string& uri : filter.resource_uris) hub_.store().subscribeResource(session, uri);
  std::thread old;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (relay_session_ != session) {
      // The first listener, or the stateless session was made anew (the old
      // one expired: its relay ends with it, and is joined below, outside
      // the lock its last step takes).
      const std::optional<Session> now = hub_.store().session(session);
      if (!now) throw Error(ErrorCode::kNotFound, "session " + session + " not found");
      old.swap(relay_);
      relay_session_ = session;
      relay_ = std::thread(&Listeners::relay, this, session,
                           EventId{hub_.store().standaloneStream(session), now->last_seq});
    }
    listeners_[stream] = Listener{session, std::move(subscription_id), std::move(filter)};
  }
  if (old.joinable()) old.join();
}

bool Listeners::wantTasks() const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [stream, listener] : listeners_) {
    if (!listener.filter.task_ids.empty()) return true;
  }
  return false;
}

bool Listeners::remove(const std::string& session, StreamId stream) {
  std::set<std::string> dropped;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = listeners_.find(stream);
    if (it == listeners_.end() || it->second.session != session) return false;
    dropped = it->second.filter.resource_uris;
    listeners_.erase(it);
    for (const auto& [other, listener] : listeners_) {
      if (listener.session != session) continue;
      for (const std::string& uri : listener.filter.resource_uris) dropped.erase(uri);
    }
  }
  try {
    for (const std::string& uri : dropped) hub_.store().unsubscribeResource(session, uri);
  } catch (const Error&) {
    // The session is gone, and its subscriptions with it.
  }
  return true;
}

void Listeners::stop() {
  stopping_ = true;
  std::thread relay;
  std::map<StreamId, Listener> ending;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    relay.swap(relay_);
    relay_session_.clear();
    ending.swap(listeners_);
  }
  if (relay.joinable()) relay.join();
  // A listen request has no result to owe: its stream just ends.
  for (const auto& [stream, listener] : ending) {
    try {
      hub_.closeStream(listener.session, stream);
    } catch (const Error&) {
    }
  }
}

void Listeners::relay(std::string session, EventId from) {
  Subscription subscription = hub_.subscribe(session, from);
  while (!stopping_) {
    const Delivery next = subscription.next(std::chrono::milliseconds(250));
    if (next.kind == Delivery::Kind::kEvent) {
      deliver(session, next.event.data);
    } else if (next.kind == Delivery::Kind::kStreamEnded || next.kind == Delivery::Kind::kShutdown) {
      break;
    }
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (relay_session_ == session && !stopping_) relay_session_.clear();
}

void Listeners::deliver(const std::string& session, const std::string& data) {
  const json notification = json::parse(data, nullptr, false);
  if (!notification.is_object()) return;
  std::vector<std::pair<StreamId, json>> copies;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [stream, listener] : listeners_) {
      if (listener.session != session || !listener.filter.wants(notification)) continue;
      json tagged = notification;
      json& params = tagged["params"];
      if (!params.is_object()) params = json::object();
      params["_meta"][kSubscriptionIdKey] = listener.subscription_id;
      copies.emplace_back(stream, std::move(tagged));
    }
  }
  for (const auto& [stream, message] : copies) {
    try {
      hub_.publish(session, stream, "message", message.dump());
    } catch (const Error& e) {
      // The listener's stream ended meanwhile; the next remove() forgets it.
      log::debug("mcpkeep.mcp", "listener gone", {{"stream", std::to_string(stream)}, {"error", e.what()}});
    }
  }
}

}  // namespace mcpkeep::mcp
