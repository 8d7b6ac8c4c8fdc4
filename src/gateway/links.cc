// Gateway::Impl: starting upstreams, re-initialising a session on a fresh
// one, their end, and the housekeeper that stops idle ones and destroys
// ended ones.
#include <algorithm>
#include <map>
#include <thread>

#include <mcpkeep/error.h>

#include "gateway/gateway_impl.h"
#include "gateway/http_upstream.h"
#include "gateway/stdio_upstream.h"
#include "log/log.h"
#include "mcp/json_rpc.h"

namespace mcpkeep::gateway {

namespace {

constexpr const char* kLogger = "mcpkeep.upstream";
constexpr auto kMaxBackoff = std::chrono::seconds(8);

std::string seconds(std::chrono::milliseconds ms) {
  return ms.count() % 1000 == 0 ? std::to_string(ms.count() / 1000) + " s" : std::to_string(ms.count()) + " ms";
}

}  // namespace

const std::vector<double> kLatencyBounds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                            0.25,  0.5,    1,     2.5,  5,     10,   30};

Gateway::Impl::Impl(Hub& h, GatewayOptions o)
    : hub(h),
      store(h.store()),
      options(std::move(o)),
      latency_counts(kLatencyBounds.size() + 1, 0),
      request_threads(2, kMaxRequestThreads, 60) {
  // Calls a dead mcpkeep kept to send again (--retry-idempotent) are
  // resumed below, not answered as interrupted: those of the streams this
  // replica claims (a live replica's are its own).
  std::map<StreamId, std::pair<Stream, std::string>> keeping;
  if (options.retry_idempotent) {
    for (auto& entry : store.keptRequests()) keeping.emplace(entry.first.id, std::move(entry));
  }
  std::vector<std::pair<Stream, std::string>> kept;
  file = std::make_unique<mcp::ServedFile>(store, [&](const Stream& s) {
    const auto it = keeping.find(s.id);
    if (it == keeping.end()) return false;
    kept.push_back(it->second);
    return true;
  });
  housekeeper = std::thread([this] { housekeeping(); });
  if (!kept.empty()) resender = std::thread([this, kept = std::move(kept)] { resend(kept); });
  if (store.shared()) {
    inbox = std::make_unique<mcp::ReplicaInbox>(
        store,
        [this] {
          std::lock_guard<std::mutex> lock(mutex);
          return !relayed.empty() || !calls.empty();
        },
        [this](const std::string& session, const json& message) { receive(session, message); });
  }
}

void Gateway::Impl::resend(const std::vector<std::pair<Stream, std::string>>& kept) {
  for (const auto& [stream, text] : kept) {
    const json request = json::parse(text, nullptr, false);
    try {
      const std::shared_ptr<Link> link = linkFor(stream.session_id);
      {
        std::lock_guard<std::mutex> lock(mutex);
        ++stats.retries;
      }
      log::info(kLogger, "call sent again after a restart", {{"session", stream.session_id}});
      forward(stream.session_id, stream.id, request, link, true);
    } catch (const std::exception& e) {
      answerError(stream.session_id, stream.id, request.value("id", json()),
                  std::string("request interrupted by a restart of mcpkeep, and not sent again: ") + e.what());
    }
  }
}

std::shared_ptr<Link> Gateway::Impl::startLink(const std::string& log_context) {
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (stopping) throw UpstreamError("the gateway is stopping");
    if (stats.running >= options.max_upstreams) {
      throw Error(ErrorCode::kUnavailable, std::to_string(stats.running) +
                                               " upstream servers are running, the limit (--max-upstreams); "
                                               "retry later");
    }
    ++stats.running;  // counted now, so two starts cannot pass the limit together
    ++stats.starts;
  }
  auto link = std::make_shared<Link>();
  Link* raw = link.get();
  // The upstream's threads call these: nothing may escape them (a storage
  // failure included), or the process ends.
  const auto guarded = [](const char* what, const std::function<void()>& handle) {
    try {
      handle();
    } catch (const std::exception& e) {
      log::error(kLogger, what, {{"error", e.what()}});
    }
  };
  Receiver receiver{
      [this, raw, guarded](const json& message) {
        guarded("message from upstream not handled", [&] { onMessage(*raw, message); });
      },
      [this, raw, guarded](const std::string& why) {
        guarded("upstream end not handled", [&] { onEnded(*raw, why, false); });
      },
      [this, raw, guarded](const json&) {
        guarded("upstream end not handled",
                [&] { onEnded(*raw, "upstream '" + raw->upstream->name() + "' forgot the session", true); });
      }};
  try {
    if (options.url.empty()) {
      link->upstream = std::make_unique<StdioUpstream>(options.command, std::move(receiver), log_context);
    } else {
      link->upstream = std::make_unique<HttpUpstream>(HttpTarget{options.url, options.headers}, std::move(receiver),
                                                      log_context, request_threads);
    }
  } catch (const UpstreamError& e) {
    std::lock_guard<std::mutex> lock(mutex);
    endLink(*link, e.what());
    last_start_failure = e.what();
    throw;
  }
  std::lock_guard<std::mutex> lock(mutex);
  links.push_back(link);
  return link;
}

json Gateway::Impl::ask(const std::shared_ptr<Link>& link, const std::string& method, const json& params) {
  auto waiter = std::make_shared<Waiter>();
  int64_t id;
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (link->ended) throw UpstreamError(link->why_ended);
    id = next_id++;
    Call call;
    call.link = link;
    call.waiter = waiter;
    calls.emplace(id, std::move(call));
  }
  const std::string& name = link->upstream->name();
  try {
    link->upstream->send({{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}});
  } catch (const UpstreamError&) {
    // It ended, or is being ended: its end, with the exit status, answers below.
  }
  std::unique_lock<std::mutex> wait(waiter->mutex);
  if (!waiter->arrived.wait_for(wait, options.start_timeout,
                                [&] { return waiter->reply || !waiter->failure.empty(); })) {
    wait.unlock();
    std::string detail;
    {
      std::lock_guard<std::mutex> lock(mutex);
      calls.erase(id);
      detail = link->stray;
    }
    const std::string output = link->upstream->recentOutput();
    if (!output.empty()) detail += (detail.empty() ? "" : "; ") + output;
    throw UpstreamError("upstream '" + name + "' did not answer " + method + " within " +
                        seconds(options.start_timeout) + (detail.empty() ? "" : " (" + detail + ")"));
  }
  if (!waiter->failure.empty()) throw UpstreamError(waiter->failure);
  const json& reply = *waiter->reply;
  if (reply.contains("error")) {
    throw UpstreamRefusal("upstream '" + name + "' refused " + method + ": " +
                              reply["error"].value("message", reply["error"].dump()),
                          reply["error"]);
  }
  return reply.value("result", json::object());
}

void Gateway::Impl::reinitialize(const std::string& session, const std::shared_ptr<Link>& link) {
  std::optional<Store::UpstreamState> state = store.upstreamState(session);
  if (!state) {
    throw Error(ErrorCode::kNotFound, "session " + session + " was not started through this gateway: initialize again");
  }
  const json stored_result = json::parse(state->initialize_result);
  if (speaksStatelessOnly(stored_result)) {
    // Nothing to set up: every request carries what an initialize would.
    std::lock_guard<std::mutex> lock(mutex);
    link->initialize_result = stored_result;
    link->stateless_upstream = true;
    return;
  }
  // An HTTP upstream may still hold the session: go on with it. If it
  // forgot, its 404 brings us back here with the id cleared.
  if (!state->upstream_session_id.empty() &&
      link->upstream->resume(state->upstream_session_id, stored_result.value("protocolVersion", ""))) {
    std::lock_guard<std::mutex> lock(mutex);
    link->initialize_result = stored_result;
    return;
  }
  const json result = ask(link, "initialize", json::parse(state->initialize_params));
  link->upstream->send(mcp::notificationMessage("notifications/initialized", json::object()));
  {
    std::lock_guard<std::mutex> lock(mutex);
    link->initialize_result = result;
    ++stats.reinitializations;
  }
  // What the client was told may no longer hold: say which lists changed.
  const json before = stored_result.value("capabilities", json::object());
  const json now = result.value("capabilities", json::object());
  for (const char* list : {"tools", "prompts", "resources"}) {
    if (now.contains(list) && before.value(list, json()) != now[list]) {
      publish(session, 0, mcp::notificationMessage(std::string("notifications/") + list + "/list_changed", json::object()),
              false);
    }
  }
  const std::string upstream_session = link->upstream->sessionId();
  if (result != stored_result || upstream_session != state->upstream_session_id) {
    state->initialize_result = result.dump();
    state->upstream_session_id = upstream_session;
    store.setUpstreamState(session, *state);
  }
  if (!state->log_level.empty()) ask(link, "logging/setLevel", {{"level", state->log_level}});
  for (const std::string& uri : store.resourceSubscriptions(session)) ask(link, "resources/subscribe", {{"uri", uri}});
  if (options.retry_idempotent && now.contains("tools")) {
    const json tools = ask(link, "tools/list", json::object()).value("tools", json::array());
    std::lock_guard<std::mutex> lock(mutex);
    rememberTools(sessions[session], tools);
  }
  log::info(kLogger, "session re-initialised on a fresh upstream", {{"session", session}});
}

std::shared_ptr<Link> Gateway::Impl::linkFor(const std::string& session) {
  std::shared_ptr<std::mutex> starting;
  {
    std::lock_guard<std::mutex> lock(mutex);
    SessionLink& s = sessions[session];
    if (s.link && !s.link->ended) {
      s.link->last_used = std::chrono::steady_clock::now();
      return s.link;
    }
    if (options.shared && shared && !shared->ended) {
      s.link = shared;
      shared->sessions.insert(session);
      return shared;
    }
    starting = options.shared ? shared_starting : s.starting;
  }
  std::lock_guard<std::mutex> one_start(*starting);
  std::chrono::steady_clock::time_point not_before;
  {
    std::lock_guard<std::mutex> lock(mutex);
    SessionLink& s = sessions[session];
    if (s.link && !s.link->ended) return s.link;  // started meanwhile
    if (options.shared && shared && !shared->ended) {
      s.link = shared;
      shared->sessions.insert(session);
      return shared;
    }
    not_before = s.next_start;
  }
  std::this_thread::sleep_until(not_before);  // backoff after failed starts
  std::shared_ptr<Link> link;
  try {
    link = startLink(options.shared ? "shared" : session);
    {
      std::lock_guard<std::mutex> lock(mutex);
      link->sessions.insert(session);
    }
    reinitialize(session, link);
  } catch (const UpstreamError& e) {
    std::lock_guard<std::mutex> lock(mutex);
    SessionLink& s = sessions[session];
    ++s.failures;
    // 250 ms, doubling with each failure in a row, at most kMaxBackoff.
    const std::chrono::milliseconds backoff(250 << std::min(s.failures - 1, 5));
    s.next_start = std::chrono::steady_clock::now() + std::min<std::chrono::milliseconds>(kMaxBackoff, backoff);
    last_start_failure = e.what();
    if (link) endLink(*link, e.what());
    log::warning(kLogger, "upstream did not start", {{"session", session}, {"error", e.what()}});
    throw;
  } catch (...) {
    if (link) {
      std::lock_guard<std::mutex> lock(mutex);
      endLink(*link, "upstream set-up failed");
    }
    throw;
  }
  std::lock_guard<std::mutex> lock(mutex);
  SessionLink& s = sessions[session];
  s.link = link;
  s.failures = 0;
  s.next_start = {};
  last_start_failure.clear();
  if (options.shared) shared = link;
  return link;
}

bool Gateway::Impl::endLink(Link& link, const std::string& why) {
  if (link.ended) return false;
  link.ended = true;
  link.why_ended = why;
  --stats.running;
  wake.notify_one();
  return true;
}

void Gateway::Impl::onEnded(Link& link, const std::string& why, bool forgotten) {
  std::vector<std::pair<Call, bool>> cut;  // and whether to send it again
  std::vector<std::string> served;
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (!endLink(link, why)) return;  // stopped on purpose
    if (!forgotten) ++stats.crashes;
    served.assign(link.sessions.begin(), link.sessions.end());
    for (auto it = calls.begin(); it != calls.end();) {
      if (it->second.link.get() == &link) {
        // A forgotten session did nothing with its calls: all go again, once.
        const bool again = forgotten ? !it->second.retried && !it->second.waiter : retryable(it->second);
        cut.emplace_back(std::move(it->second), again);
        it = calls.erase(it);
      } else {
        ++it;
      }
    }
    calls_changed.notify_all();
  }
  log::warning(kLogger, "upstream ended", {{"why", why}, {"calls_cut", std::to_string(cut.size())}});
  if (forgotten) {
    // Its session id is worth nothing now: the next start initializes.
    for (const std::string& session : served) {
      try {
        if (auto state = store.upstreamState(session)) {
          state->upstream_session_id.clear();
          store.setUpstreamState(session, *state);
        }
      } catch (const Error& e) {
        if (e.code() != ErrorCode::kNotFound) throw;
      }
    }
  }
  for (auto& [call, again] : cut) {
    if (call.waiter) {
      std::lock_guard<std::mutex> lock(call.waiter->mutex);
      call.waiter->failure = why;
      call.waiter->arrived.notify_all();
      continue;
    }
    if (again) {
      try {
        const std::shared_ptr<Link> fresh = linkFor(call.session);
        {
          std::lock_guard<std::mutex> lock(mutex);
          ++stats.retries;
        }
        log::info(kLogger, "call sent again to a fresh upstream", {{"session", call.session}});
        forward(call.session, call.stream, call.request, fresh, true);
        continue;
      } catch (const std::exception& e) {
        log::warning(kLogger, "call could not be sent again", {{"session", call.session}, {"error", e.what()}});
      }
    }
    answerError(call.session, call.stream, call.request["id"], why);
  }
}

bool Gateway::Impl::retryable(const Call& call) {
  if (!options.retry_idempotent || call.retried || call.request.value("method", "") != "tools/call") return false;
  const json& params = call.request.contains("params") ? call.request["params"] : json::object();
  const std::string tool = params.value("name", "");
  const auto s = sessions.find(call.session);
  if (s == sessions.end()) return false;
  const auto known = s->second.retryable_tools.find(tool);
  return known != s->second.retryable_tools.end() && known->second;
}

void Gateway::Impl::rememberTools(SessionLink& s, const json& tools) {
  for (const json& tool : tools) {
    if (!tool.is_object() || !tool.contains("name") || !tool["name"].is_string()) continue;
    const json annotations = tool.value("annotations", json::object());
    s.retryable_tools[tool["name"].get<std::string>()] =
        annotations.is_object() && (annotations.value("readOnlyHint", false) == true ||
                                    annotations.value("idempotentHint", false) == true);
  }
}

void Gateway::Impl::retire(Link& link) {
  std::vector<Call> cut;
  const std::string why = "upstream '" + link.upstream->name() + "' was stopped";
  {
    std::lock_guard<std::mutex> lock(mutex);
    endLink(link, why);
    for (auto it = calls.begin(); it != calls.end();) {
      if (it->second.link.get() == &link) {
        cut.push_back(std::move(it->second));
        it = calls.erase(it);
      } else {
        ++it;
      }
    }
    calls_changed.notify_all();
  }
  for (Call& call : cut) {
    if (call.waiter) {
      std::lock_guard<std::mutex> lock(call.waiter->mutex);
      call.waiter->failure = why;
      call.waiter->arrived.notify_all();
    } else {
      answerError(call.session, call.stream, call.request["id"], why);
    }
  }
}

void Gateway::Impl::housekeeping() {
  std::unique_lock<std::mutex> lock(mutex);
  while (!closing) {
    wake.wait_for(lock, std::chrono::seconds(1));
    const auto now = std::chrono::steady_clock::now();
    if (options.idle.count() > 0) {
      for (const std::shared_ptr<Link>& link : links) {
        if (link->ended || now - link->last_used < options.idle) continue;
        const bool busy = std::any_of(calls.begin(), calls.end(),
                                      [&](const auto& call) { return call.second.link == link; });
        if (busy) continue;
        log::info(kLogger, "idle upstream stopped", {{"command", link->upstream->name()}});
        endLink(*link, "upstream '" + link->upstream->name() + "' was stopped (idle)");
      }
    }
    // Ended links nobody else holds any more: drop session references to
    // them, then destroy them here, off their own threads and the mutex.
    for (auto it = sessions.begin(); it != sessions.end();) {
      if (it->second.link && it->second.link->ended) it->second.link.reset();
      // Nothing worth keeping: a session that comes back starts afresh.
      if (!it->second.link && it->second.failures == 0) {
        it = sessions.erase(it);
      } else {
        ++it;
      }
    }
    if (shared && shared->ended) shared.reset();
    std::vector<std::shared_ptr<Link>> done;
    for (auto it = links.begin(); it != links.end();) {
      if ((*it)->ended && it->use_count() == 1) {
        done.push_back(std::move(*it));
        it = links.erase(it);
      } else {
        ++it;
      }
    }
    if (done.empty()) continue;
    lock.unlock();
    done.clear();  // stops the children (up to 3 s each when they ignore their input's end)
    lock.lock();
  }
}

}  // namespace mcpkeep::gateway
