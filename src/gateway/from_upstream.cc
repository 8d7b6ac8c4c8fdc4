// Gateway::Impl: messages from upstreams, committed to the sessions'
// streams: answers on their requests' streams, with the client's ids and
// progress tokens back; the upstream's requests to the client with ids of
// the gateway's; notifications where they belong.
#include <algorithm>

#include <mcpkeep/error.h>

#include "gateway/gateway_impl.h"
#include "log/log.h"
#include "mcp/json_rpc.h"

namespace mcpkeep::gateway {

namespace {
constexpr const char* kLogger = "mcpkeep.upstream";
}

void Gateway::Impl::publish(const std::string& session, StreamId stream, const json& message, bool close) {
  try {
    if (stream == 0) {
      hub.publish(session, "message", message.dump());
    } else if (close) {
      hub.publishAndClose(session, stream, "message", message.dump());
    } else {
      hub.publish(session, stream, "message", message.dump());
    }
  } catch (const Error& e) {
    // The session was deleted, or the request cancelled, meanwhile.
    if (e.code() != ErrorCode::kNotFound && e.code() != ErrorCode::kStreamClosed) {
      log::error(kLogger, "message from upstream not stored", {{"session", session}, {"error", e.what()}});
    }
  }
}

void Gateway::Impl::onMessage(Link& link, const json& message) {
  const bool has_method = message.contains("method") && message["method"].is_string();
  if (has_method && message.contains("id")) {
    onRequest(link, message);
  } else if (has_method) {
    onNotification(link, message);
  } else if (message.contains("id")) {
    onResponse(link, message);
  } else {
    log::warning(kLogger, "upstream sent what is not a JSON-RPC message", {{"message", message.dump().substr(0, 200)}});
  }
}

void Gateway::Impl::onResponse(Link& link, const json& message) {
  const json& id = message["id"];
  Call call;
  {
    std::lock_guard<std::mutex> lock(mutex);
    const auto found = id.is_number_integer() ? calls.find(id.get<int64_t>()) : calls.end();
    if (found == calls.end() || found->second.link.get() != &link) {
      link.stray = "it answered id " + id.dump() + ", which no request has";
      log::warning(kLogger, "upstream answered an unknown request id", {{"id", id.dump()}});
      return;
    }
    call = std::move(found->second);
    calls.erase(found);
    calls_changed.notify_all();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - call.sent).count();
    std::size_t bucket = 0;
    while (bucket < kLatencyBounds.size() && seconds > kLatencyBounds[bucket]) ++bucket;
    ++latency_counts[bucket];
    latency_sum += seconds;
    ++latency_count;
    if (!call.waiter && message.contains("result") && call.request.value("method", "") == "tools/list") {
      rememberTools(sessions[call.session], message["result"].value("tools", json::array()));
    }
  }
  if (call.waiter) {
    std::lock_guard<std::mutex> lock(call.waiter->mutex);
    call.waiter->reply = message;
    call.waiter->arrived.notify_all();
    return;
  }
  const std::string method = call.request.value("method", "");
  const json params = call.request.value("params", json::object());
  if (message.contains("result")) {
    // What a fresh upstream must be told again.
    try {
      if (method == "logging/setLevel" && params.value("level", json()).is_string()) {
        if (auto state = store.upstreamState(call.session)) {
          state->log_level = params["level"].get<std::string>();
          store.setUpstreamState(call.session, *state);
        }
      } else if (method == "resources/subscribe" && params.value("uri", json()).is_string()) {
        store.subscribeResource(call.session, params["uri"].get<std::string>());
      } else if (method == "resources/unsubscribe" && params.value("uri", json()).is_string()) {
        store.unsubscribeResource(call.session, params["uri"].get<std::string>());
      }
    } catch (const Error& e) {
      if (e.code() != ErrorCode::kNotFound && e.code() != ErrorCode::kInvalidArgument) throw;
    }
  }
  if (call.link->stateless_upstream && startRound(call, message)) return;
  json answer = message;
  answer["id"] = call.request["id"];
  bool stateless = false;
  {
    std::lock_guard<std::mutex> lock(mutex);
    stateless = call.session == stateless_session;
  }
  if (stateless) answer = statelessAnswer(call, std::move(answer));
  publish(call.session, call.stream, answer, true);
}

std::optional<std::pair<std::string, StreamId>> Gateway::Impl::destination(const Link& link) {
  const Call* newest = nullptr;
  bool several_sessions = false;
  for (const auto& [id, call] : calls) {
    if (call.link.get() != &link || call.waiter) continue;
    if (newest && newest->session != call.session) several_sessions = true;
    newest = &call;  // ids grow: the last is the newest
  }
  if (several_sessions) return std::nullopt;
  if (newest) return std::make_pair(newest->session, newest->stream);
  if (link.sessions.size() == 1) return std::make_pair(*link.sessions.begin(), StreamId{0});
  return std::nullopt;
}

void Gateway::Impl::onRequest(Link& link, const json& message) {
  std::optional<std::pair<std::string, StreamId>> to;
  json down = message;
  {
    std::lock_guard<std::mutex> lock(mutex);
    to = destination(link);
    if (to) {
      const json id = mcp::clientRequestId(to->second, next_relayed++);
      std::weak_ptr<Link> weak;
      for (const auto& held : links) {
        if (held.get() == &link) weak = held;
      }
      relayed[{to->first, id.dump()}] = Relayed{weak, message["id"], 0, std::string()};
      down["id"] = id;
    }
  }
  bool stateless = false;
  {
    std::lock_guard<std::mutex> lock(mutex);
    stateless = to && to->first == stateless_session;
    if (stateless) relayed.erase({to->first, down["id"].dump()});
  }
  if (stateless) {
    // Its initialize declared no capabilities: nothing may be asked of it.
    try {
      link.upstream->send(mcp::errorMessage(message["id"], mcp::kMethodNotFound,
                                            "this client declared no capabilities (a 2026-07-28 client behind mcpkeep)"));
    } catch (const UpstreamError&) {
    }
    return;
  }
  if (!to) {
    // Shared mode with several sessions busy: whose client to ask is unknown.
    try {
      link.upstream->send(mcp::errorMessage(message["id"], mcp::kInternalError,
                                            "mcpkeep cannot tell which client this request is for"));
    } catch (const UpstreamError&) {
    }
    return;
  }
  publish(to->first, to->second, down, false);
}

void Gateway::Impl::onNotification(Link& link, const json& message) {
  const std::string method = message["method"].get<std::string>();
  const json params = message.value("params", json::object());
  if (method == "notifications/progress") {
    const json token = params.value("progressToken", json());
    std::string session;
    StreamId stream = 0;
    json client_token;
    {
      std::lock_guard<std::mutex> lock(mutex);
      const auto found = token.is_number_integer() ? calls.find(token.get<int64_t>()) : calls.end();
      if (found == calls.end() || found->second.link.get() != &link || found->second.waiter) return;
      session = found->second.session;
      stream = found->second.stream;
      client_token = found->second.request["params"]["_meta"]["progressToken"];
    }
    json down = message;
    down["params"]["progressToken"] = client_token;
    publish(session, stream, down, false);
    return;
  }
  if (method == "notifications/cancelled") {
    // The upstream gave up a request of its own to the client.
    std::string session;
    json id;
    {
      std::lock_guard<std::mutex> lock(mutex);
      for (auto it = relayed.begin(); it != relayed.end(); ++it) {
        if (it->second.link.lock().get() == &link && it->second.upstream_id == params.value("requestId", json())) {
          session = it->first.first;
          id = json::parse(it->first.second);
          relayed.erase(it);
          break;
        }
      }
    }
    if (session.empty()) return;
    json down = message;
    down["params"]["requestId"] = id;
    publish(session, 0, down, false);
    return;
  }
  const bool list_changed = method.size() > 13 && method.compare(method.size() - 13, 13, "/list_changed") == 0;
  if (list_changed || method == "notifications/resources/updated") {
    // About the server, not a request: to every session it serves.
    std::vector<std::string> to;
    {
      std::lock_guard<std::mutex> lock(mutex);
      to.assign(link.sessions.begin(), link.sessions.end());
    }
    if (method == "notifications/resources/updated" && params.value("uri", json()).is_string()) {
      // Only to the sessions that asked for it (shared mode serves several).
      std::vector<std::string> subscribed;
      for (const std::string& session : store.resourceSubscribers(params["uri"].get<std::string>())) {
        if (std::find(to.begin(), to.end(), session) != to.end()) subscribed.push_back(session);
      }
      to.swap(subscribed);
    }
    for (const std::string& session : to) publish(session, 0, message, false);
    return;
  }
  std::optional<std::pair<std::string, StreamId>> to;
  {
    std::lock_guard<std::mutex> lock(mutex);
    to = destination(link);
    // A stateless client gets logs only when its request asks (not yet
    // through the gateway): none.
    if (to && to->first == stateless_session && method == "notifications/message") return;
  }
  if (to) publish(to->first, to->second, message, false);
}

}  // namespace mcpkeep::gateway
