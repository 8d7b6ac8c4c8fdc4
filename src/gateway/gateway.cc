// Gateway: the Dispatcher methods, i.e. messages from clients, and its
// lifetime and metrics.
#include "gateway/gateway.h"

#include <algorithm>
#include <sstream>
#include <stdexcept>

#include <mcpkeep/error.h>

#include "gateway/gateway_impl.h"
#include "log/log.h"
#include "mcp/json_rpc.h"
#include "mcp/protocol_version.h"
#include "mcp/session_lifecycle.h"
#include "mcp/stateless_era.h"

namespace mcpkeep::gateway {

namespace {

// The request's _meta.progressToken, or null.
json progressToken(const json& request) {
  const auto params = request.find("params");
  if (params == request.end() || !params->is_object()) return nullptr;
  const auto meta = params->find("_meta");
  if (meta == params->end() || !meta->is_object()) return nullptr;
  return meta->value("progressToken", json());
}

}  // namespace

Gateway::Gateway(Hub& hub, GatewayOptions options) {
  if (options.command.argv.empty() && options.url.empty()) {
    throw std::invalid_argument("a gateway needs an upstream command or URL");
  }
  impl_ = std::make_unique<Impl>(hub, std::move(options));
}

Gateway::~Gateway() {
  impl_->inbox.reset();
  shutdown(std::chrono::milliseconds(0));
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->closing = true;
    impl_->wake.notify_all();
  }
  impl_->housekeeper.join();
  if (impl_->resender.joinable()) impl_->resender.join();
  std::vector<std::shared_ptr<Link>> links;
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->sessions.clear();
    impl_->shared.reset();
    impl_->calls.clear();
    links.swap(impl_->links);
  }
  links.clear();  // stops what still runs
}

Hub& Gateway::hub() { return impl_->hub; }

void Gateway::setAddress(const std::string& url) { impl_->file->describe(url); }

void Gateway::probe() {
  Impl& s = *impl_;
  std::shared_ptr<Link> link = s.startLink("probe");
  const json params = {{"protocolVersion", mcp::latestProtocolVersion()},
                       {"capabilities", json::object()},
                       {"clientInfo", {{"name", "mcpkeep-probe"}, {"version", "1"}}}};
  try {
    try {
      s.ask(link, "initialize", params);
    } catch (const UpstreamRefusal& e) {
      if (!speaksStatelessOnly(e)) throw;
      s.discoverAsInitialize(link, params, mcp::latestProtocolVersion());  // it answers that era
    }
  } catch (...) {
    s.retire(*link);
    throw;
  }
  s.retire(*link);
}

Dispatcher::Dispatch Gateway::Impl::initialize(const json& request) {
  const json& id = request.at("id");
  const mcp::InitializeParams checked = mcp::initializeParams(request);
  if (!checked.params) return {std::string(), 0, checked.refusal};
  const json* params = checked.params;

  std::shared_ptr<Link> link;
  json result;
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (options.shared && shared && !shared->ended) link = shared;
    if (link) result = link->initialize_result;
  }
  if (!link) {
    link = startLink(options.shared ? "shared" : "new session");
    try {
      try {
        result = ask(link, "initialize", *params);
      } catch (const UpstreamRefusal& e) {
        // An upstream that speaks 2026-07-28 only says so with the
        // unsupported-version error listing it: serve the session from its
        // server/discover instead.
        if (!speaksStatelessOnly(e)) throw;
        result = discoverAsInitialize(
            link, *params, mcp::negotiateProtocolVersion((*params)["protocolVersion"].get<std::string>()));
      }
    } catch (const UpstreamError& e) {
      retire(*link);
      const std::string why = e.what();
      {
        std::lock_guard<std::mutex> lock(mutex);
        last_start_failure = why;
      }
      // The upstream's own refusal goes to the client as it is.
      if (dynamic_cast<const UpstreamRefusal*>(&e)) {
        return {std::string(), 0, mcp::errorMessage(id, mcp::kInvalidParams, why)};
      }
      throw Error(ErrorCode::kUnavailable, why);
    }
  }
  const json version = result.value("protocolVersion", json());
  Session session;
  try {
    session = mcp::beginSession(
        store, *params,
        version.is_string() ? version.get<std::string>()
                            : mcp::negotiateProtocolVersion((*params)["protocolVersion"].get<std::string>()));
    store.setUpstreamState(session.id, {params->dump(), result.dump(), std::string(), link->upstream->sessionId()});
  } catch (const Error&) {
    // The store failed (the client is told so): no child is left running for
    // a session that is not there.
    if (!options.shared) retire(*link);
    try {
      if (!session.id.empty()) mcp::endSession(hub, session.id);
    } catch (const Error&) {
      // Still failing: idle expiry removes the half-made session.
    }
    throw;
  }
  if (!options.shared) link->upstream->setLogContext(session.id);
  {
    std::lock_guard<std::mutex> lock(mutex);
    link->initialize_result = result;
    link->sessions.insert(session.id);
    SessionLink& s = sessions[session.id];
    s.link = link;
    if (options.shared) shared = link;
    last_start_failure.clear();
  }
  const StreamId stream = store.openRequestStream(session.id, json::array({id}).dump());
  publish(session.id, stream, mcp::resultMessage(id, result), true);
  return {session.id, stream, std::nullopt};
}

void Gateway::Impl::answerError(const std::string& session, StreamId stream, const json& id,
                                const std::string& message) {
  publish(session, stream, mcp::errorMessage(id, mcp::kInternalError, message), true);
}

void Gateway::Impl::forward(const std::string& session, StreamId stream, const json& request,
                            const std::shared_ptr<Link>& link, bool retried) {
  json up = request;
  int64_t id;
  bool keep = false;
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (link->ended) {
      answerError(session, stream, request["id"], link->why_ended);
      return;
    }
    id = next_id++;
    Call call;
    call.link = link;
    call.session = session;
    call.stream = stream;
    call.request = request;
    call.retried = retried;
    keep = !retried && retryable(call);
    calls.emplace(id, std::move(call));
    link->last_used = std::chrono::steady_clock::now();
  }
  // A restart of mcpkeep may come before the answer: it sends this again.
  if (keep) {
    try {
      store.keepRequest(session, stream, request.dump());
    } catch (const Error& e) {
      // Cancelled meanwhile, or the store failed: a restart answers it as
      // interrupted instead.
      log::warning("mcpkeep.upstream", "call not kept for a restart", {{"session", session}, {"error", e.what()}});
    }
  }
  if (link->stateless_upstream) up = withRequestMeta(session, std::move(up));
  up["id"] = id;
  // Tokens are the client's; upstream, a token names the request it came with.
  if (!progressToken(request).is_null()) up["params"]["_meta"]["progressToken"] = id;
  try {
    link->upstream->send(up);
  } catch (const UpstreamError&) {
    // The upstream ended or is being ended: its end answers the call (or
    // sends it again), naming its exit status.
  }
}

Dispatcher::Dispatch Gateway::handleRequest(const std::string& session_id, const json& request) {
  Impl& s = *impl_;
  if (session_id.empty() && mcp::carriesRequestMeta(request)) return s.handleStateless(request);
  const std::string method = request.at("method").get<std::string>();
  if (method == "initialize") return s.initialize(request);
  const json& id = request.at("id");
  const StreamId stream = s.store.openRequestStream(session_id, json::array({id}).dump());
  if (method == "ping") {  // the gateway's own: it needs no upstream
    s.publish(session_id, stream, mcp::resultMessage(id, json::object()), true);
    return {session_id, stream, std::nullopt};
  }
  std::shared_ptr<Link> link;
  try {
    link = s.linkFor(session_id);
  } catch (const UpstreamError& e) {
    s.answerError(session_id, stream, id, e.what());
    return {session_id, stream, std::nullopt};
  } catch (const Error&) {
    try {
      s.store.closeStream(session_id, stream, StreamState::kInterrupted);
    } catch (const Error&) {
      // Still failing: a restart marks it interrupted.
    }
    throw;
  }
  if (link->stateless_upstream &&
      (method == "logging/setLevel" || method == "resources/subscribe" || method == "resources/unsubscribe")) {
    // Nothing upstream keeps them: the level goes with every request's _meta.
    const json& params = mcp::paramsOf(request);
    try {
      if (method == "logging/setLevel" && params.value("level", json()).is_string()) {
        if (auto state = s.store.upstreamState(session_id)) {
          state->log_level = params["level"].get<std::string>();
          s.store.setUpstreamState(session_id, *state);
        }
      } else if (method == "resources/subscribe" && params.value("uri", json()).is_string()) {
        s.store.subscribeResource(session_id, params["uri"].get<std::string>());
      } else if (method == "resources/unsubscribe" && params.value("uri", json()).is_string()) {
        s.store.unsubscribeResource(session_id, params["uri"].get<std::string>());
      }
    } catch (const Error& e) {
      if (e.code() != ErrorCode::kNotFound) throw;
    }
    s.publish(session_id, stream, mcp::resultMessage(id, json::object()), true);
    return {session_id, stream, std::nullopt};
  }
  s.forward(session_id, stream, request, link, false);
  return {session_id, stream, std::nullopt};
}

void Gateway::handleNotification(const std::string& session_id, const json& message) {
  // Taken here, or by the replica whose call or request waits for it.
  if (!impl_->receive(session_id, message)) mcp::leaveForWaitingReplica(impl_->store, session_id, message);
}

bool Gateway::Impl::receive(const std::string& session_id, const json& message) {
  if (!message.contains("method")) {
    // A client's answer to an upstream's request: back to the upstream that asked.
    std::shared_ptr<Link> link;
    json up = message;
    {
      std::unique_lock<std::mutex> lock(mutex);
      const auto found = relayed.find({session_id, message.value("id", json()).dump()});
      if (found == relayed.end()) return false;  // another replica's, or its upstream is gone
      if (found->second.round != 0) {
        const int64_t round = found->second.round;
        const std::string key = found->second.key;
        relayed.erase(found);
        lock.unlock();
        answerRound(round, key, message);
        return true;
      }
      link = found->second.link.lock();
      up["id"] = found->second.upstream_id;
      relayed.erase(found);
      if (!link || link->ended) return true;
    }
    try {
      link->upstream->send(up);
    } catch (const UpstreamError&) {
      // It ended meanwhile; it asked nothing of a fresh one.
    }
    return true;
  }
  const std::string method = message.value("method", "");
  if (method == "notifications/cancelled") {
    const json& params = mcp::paramsOf(message);
    const json request_id = params.value("requestId", json());
    std::shared_ptr<Link> link;
    int64_t up_id = 0;
    StreamId stream = 0;
    {
      std::lock_guard<std::mutex> lock(mutex);
      for (auto it = calls.begin(); it != calls.end(); ++it) {
        if (it->second.session == session_id && it->second.request["id"] == request_id) {
          link = it->second.link;
          up_id = it->first;
          stream = it->second.stream;
          calls.erase(it);
          calls_changed.notify_all();
          break;
        }
      }
    }
    if (!link) return false;  // answered already, or another replica's
    json up = message;
    up["params"]["requestId"] = up_id;
    try {
      link->upstream->send(up);
    } catch (const UpstreamError&) {
      // Ended: nothing to cancel.
    }
    // No answer is due for a cancelled request: its stream ends.
    try {
      hub.closeStream(session_id, stream);
    } catch (const Error&) {
      // The session went meanwhile.
    }
    return true;
  }
  try {
    const std::shared_ptr<Link> link = linkFor(session_id);
    // Protocol 2026-07-28 has no client notifications over HTTP (initialized
    // has no session to go with; closing a response cancels its request).
    if (link->stateless_upstream) return true;
    link->upstream->send(message);
  } catch (const UpstreamError& e) {
    log::warning("mcpkeep.upstream", "notification not delivered", {{"session", session_id}, {"method", method},
                                                                    {"error", e.what()}});
  }
  return true;
}

bool Gateway::endSession(const std::string& session_id) {
  Impl& s = *impl_;
  std::shared_ptr<Link> link;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    const auto found = s.sessions.find(session_id);
    if (found != s.sessions.end()) {
      link = found->second.link;
      s.sessions.erase(found);
    }
    if (link) link->sessions.erase(session_id);
    // Its calls end with it: nobody waits for them.
    for (auto it = s.calls.begin(); it != s.calls.end();) {
      it = it->second.session == session_id ? s.calls.erase(it) : std::next(it);
    }
    for (auto it = s.relayed.begin(); it != s.relayed.end();) {
      it = it->first.first == session_id ? s.relayed.erase(it) : std::next(it);
    }
  }
  if (link && !s.options.shared) {
    link->upstream->endSession();
    s.retire(*link);
  }
  return mcp::endSession(s.hub, session_id);
}

std::optional<std::string> Gateway::unavailable() {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  if (impl_->last_start_failure.empty()) return std::nullopt;
  return impl_->last_start_failure;
}

void Gateway::shutdown(std::chrono::milliseconds grace) {
  Impl& s = *impl_;
  std::vector<Call> unfinished;
  std::vector<std::shared_ptr<Link>> running;
  {
    std::unique_lock<std::mutex> lock(s.mutex);
    s.stopping = true;
    const auto clients_waiting = [&] {
      for (const auto& call : s.calls) {
        if (!call.second.waiter) return true;
      }
      return false;
    };
    s.calls_changed.wait_for(lock, grace, [&] { return !clients_waiting(); });
    for (auto it = s.calls.begin(); it != s.calls.end();) {
      if (it->second.waiter) {
        ++it;
        continue;
      }
      unfinished.push_back(std::move(it->second));
      it = s.calls.erase(it);
    }
    running = s.links;
  }
  for (const Call& call : unfinished) s.publish(call.session, call.stream, mcp::interruptedError(call.request["id"]), true);
  for (const std::shared_ptr<Link>& link : running) s.retire(*link);
}

GatewayStats Gateway::stats() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->stats;
}

std::string Gateway::metrics() const {
  const Impl& s = *impl_;
  std::lock_guard<std::mutex> lock(s.mutex);
  std::ostringstream out;
  const auto metric = [&](const char* name, const char* type, const char* help, int64_t value) {
    out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n' << name << ' ' << value << '\n';
  };
  metric("mcpkeep_upstreams_running", "gauge", "Upstream MCP servers running now.", s.stats.running);
  metric("mcpkeep_upstream_starts_total", "counter", "Upstream MCP servers started.", s.stats.starts);
  metric("mcpkeep_upstream_crashes_total", "counter", "Upstream MCP servers that ended unasked.", s.stats.crashes);
  metric("mcpkeep_upstream_reinitializations_total", "counter",
         "Sessions whose stored initialize was replayed to a fresh upstream.", s.stats.reinitializations);
  metric("mcpkeep_upstream_retries_total", "counter", "Calls sent again to a fresh upstream.", s.stats.retries);
  out << "# HELP mcpkeep_upstream_request_seconds Time from a request sent upstream to its answer.\n"
         "# TYPE mcpkeep_upstream_request_seconds histogram\n";
  int64_t cumulative = 0;
  for (std::size_t i = 0; i < kLatencyBounds.size(); ++i) {
    cumulative += s.latency_counts[i];
    out << "mcpkeep_upstream_request_seconds_bucket{le=\"" << kLatencyBounds[i] << "\"} " << cumulative << '\n';
  }
  cumulative += s.latency_counts.back();
  out << "mcpkeep_upstream_request_seconds_bucket{le=\"+Inf\"} " << cumulative << '\n'
      << "mcpkeep_upstream_request_seconds_sum " << s.latency_sum << '\n'
      << "mcpkeep_upstream_request_seconds_count " << s.latency_count << '\n';
  return out.str();
}

}  // namespace mcpkeep::gateway
