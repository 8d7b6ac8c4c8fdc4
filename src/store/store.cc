// Store: picks the backend for its location (store/backend.h), checks what
// is the same for both (event types), runs the maintenance timer, and
// hands every other call to the backend; its timer renews the replica
// lease.
#include <mcpkeep/store.h>

#include <sys/stat.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <tuple>
#include <unordered_map>

#include "log/log.h"
#include "store/backend.h"
#include "store/postgres/postgres_store.h"
#include "store/sqlite/migrations.h"
#include "store/sqlite/sqlite_store.h"
#include "store/unix_time.h"

namespace mcpkeep {
namespace store {

std::string noSuchSession(const std::string& session_id) {
  return "no session '" + session_id + "' (unknown, expired or deleted)";
}

std::string streamName(const std::string& session_id, StreamId stream) {
  return "stream " + std::to_string(stream) + " of session '" + session_id + "'";
}

Event storedEvent(const std::string& session_id, StreamId stream, int64_t seq,
                  const std::string& type, const std::string& data, int64_t now_ms) {
  Event event;
  event.id = EventId{stream, seq}.toString();
  event.session_id = session_id;
  event.stream_id = stream;
  event.seq = seq;
  event.type = type;
  event.data = data;
  event.created_at = fromUnixMillis(now_ms);
  return event;
}

void requireValidRetention(const Retention& r) {
  if (r.max_events <= 0 || r.max_age.count() <= 0 || r.session_timeout.count() <= 0) {
    throw Error(ErrorCode::kInvalidArgument,
                "retention limits must be positive (max_events " + std::to_string(r.max_events) +
                    ", max_age " + std::to_string(r.max_age.count()) + " ms, session_timeout " +
                    std::to_string(r.session_timeout.count()) + " ms)");
  }
}

std::vector<std::pair<const char*, int64_t>> retentionSettings(const Retention& r) {
  requireValidRetention(r);
  return {{"max_events", r.max_events},
          {"max_age_ms", static_cast<int64_t>(r.max_age.count())},
          {"session_timeout_ms", static_cast<int64_t>(r.session_timeout.count())}};
}

void readRetentionSetting(Retention& r, const std::string& name, int64_t value) {
  if (name == "max_events") r.max_events = value;
  if (name == "max_age_ms") r.max_age = std::chrono::milliseconds(value);
  if (name == "session_timeout_ms") r.session_timeout = std::chrono::milliseconds(value);
}

}  // namespace store

namespace {

void requireValidType(const std::string& type) {
  if (type.empty() || type.find_first_of("\r\n") != std::string::npos) {
    throw Error(ErrorCode::kInvalidArgument,
                "event type must be non-empty text without CR or LF (it becomes the SSE "
                "event field)");
  }
}

std::unique_ptr<store::Backend> openBackend(const std::string& location,
                                            const StoreOptions& options) {
  if (store::isPostgresLocation(location)) {
    return std::make_unique<store::PostgresStore>(location, options);
  }
  return std::make_unique<store::SqliteStore>(location, options);
}

}  // namespace

struct Store::Impl {
  Impl(const std::string& location, StoreOptions o) : options(std::move(o)) {
    if (!options.clock) options.clock = [] { return std::chrono::system_clock::now(); };
    backend = openBackend(location, options);
  }

  // Runs the periodic jobs on a thread of its own until stopTimer(): the
  // maintenance job every maintenance_interval (when set), and the lease
  // renewal every third of the lease.
  void startTimer(std::function<void()> maintain) {
    struct Job {
      std::chrono::milliseconds every;
      std::function<void()> run;
      std::function<void(const std::exception&)> failed;
      std::chrono::steady_clock::time_point due;
    };
    const auto logs = [this](const char* message) {
      return [this, message](const std::exception& e) {
        log::error("mcpkeep.store", message, {{"database", backend->location()}, {"error", e.what()}});
      };
    };
    std::vector<Job> jobs;
    const auto now = std::chrono::steady_clock::now();
    if (options.maintenance_interval.count() > 0) {
      jobs.push_back({options.maintenance_interval, std::move(maintain),
                      options.on_maintenance_error ? options.on_maintenance_error : logs("maintenance failed"),
                      now + options.maintenance_interval});
    }
    const auto renew_every = std::max(options.replica_lease / 3, std::chrono::milliseconds(1));
    jobs.push_back({renew_every, [this] { backend->renewLease(); }, logs("renewing the replica lease failed"),
                    now + renew_every});
    timer = std::thread([this, jobs = std::move(jobs)]() mutable {
      std::unique_lock<std::mutex> lock(timer_mutex);
      for (;;) {
        auto next = jobs.front().due;
        for (const Job& job : jobs) next = std::min(next, job.due);
        if (timer_wake.wait_until(lock, next, [this] { return timer_stopping; })) return;
        lock.unlock();
        for (Job& job : jobs) {
          if (job.due > std::chrono::steady_clock::now()) continue;
          job.due += job.every;
          try {
            job.run();
          } catch (const std::exception& e) {
            job.failed(e);
          }
        }
        lock.lock();
      }
    });
  }

  void stopTimer() {
    {
      std::lock_guard<std::mutex> lock(timer_mutex);
      timer_stopping = true;
    }
    timer_wake.notify_all();
    if (timer.joinable()) timer.join();
  }

  // Forgets the touches of sessions that are gone.
  void forgetTouches(const std::vector<std::string>& session_ids) {
    std::lock_guard<std::mutex> lock(touches_mutex);
    for (const std::string& id : session_ids) last_touch_written.erase(id);
  }

  StoreOptions options;
  std::unique_ptr<store::Backend> backend;
  // touchSession's last write per session, to coalesce them.
  std::mutex touches_mutex;
  std::unordered_map<std::string, TimePoint> last_touch_written;
  std::mutex timer_mutex;
  std::condition_variable timer_wake;
  bool timer_stopping = false;
  std::thread timer;
};

Store::Store(const std::string& path, StoreOptions options)
    : impl_(std::make_unique<Impl>(path, std::move(options))) {
  impl_->startTimer([this] {
    const MaintenanceReport report = runMaintenance();
    if (report.sessions_expired.empty()) return;
    log::info("mcpkeep.store", "sessions expired",
              {{"count", std::to_string(report.sessions_expired.size())}});
    for (const std::string& id : report.sessions_expired) {
      log::debug("mcpkeep.store", "session expired", {{"session", id}});
    }
  });
}

// The timer calls into this Store, so it stops before anything is torn down.
Store::~Store() { impl_->stopTimer(); }

const std::string& Store::path() const { return impl_->backend->location(); }

Store::FileSizes Store::fileSizes(const std::string& path) {
  const auto bytes = [](const std::string& file) -> int64_t {
    struct stat st;
    return ::stat(file.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : 0;
  };
  return {bytes(path), bytes(path + "-wal")};
}

int Store::schemaVersion() { return store::latestVersion(store::embeddedMigrations()); }

void Histogram::observe(double value) {
  const auto at = std::lower_bound(bounds.begin(), bounds.end(), value);
  ++counts[static_cast<std::size_t>(at - bounds.begin())];
  sum += value;
  ++count;
}

// ---- Everything else is the backend's ------------------------------------

Session Store::createSession() { return impl_->backend->createSession(); }
std::optional<Session> Store::session(const std::string& id) const { return impl_->backend->session(id); }
void Store::touchSession(const std::string& id) {
  const TimePoint now = impl_->options.clock();
  {
    std::lock_guard<std::mutex> lock(impl_->touches_mutex);
    auto it = impl_->last_touch_written.find(id);
    if (it != impl_->last_touch_written.end() && now - it->second < impl_->options.touch_interval) return;
  }
  impl_->backend->touchSession(id);
  std::lock_guard<std::mutex> lock(impl_->touches_mutex);
  impl_->last_touch_written[id] = now;
}
void Store::markInitialized(const std::string& id, const std::string& protocol_version,
                            const std::string& client_capabilities_json,
                            const std::string& client_info_json) {
  const auto jsonOrNone = [](const std::string& json) {
    return json.empty() ? std::nullopt : std::optional<std::string>(json);
  };
  const TimePoint now = impl_->options.clock();
  impl_->backend->updateSession(id, [&](Session& s) {
    s.initialized = true;
    s.protocol_version = protocol_version;
    s.client_capabilities = jsonOrNone(client_capabilities_json);
    s.client_info = jsonOrNone(client_info_json);
    s.last_active = std::max(s.last_active, now);
  });
}
void Store::updateSession(const std::string& id, const std::function<void(Session&)>& change) {
  impl_->backend->updateSession(id, change);
}
bool Store::removeSession(const std::string& id) {
  const bool removed = impl_->backend->removeSession(id);
  impl_->forgetTouches({id});
  return removed;
}
std::vector<std::string> Store::expireIdleSessions() {
  std::vector<std::string> expired = impl_->backend->expireIdleSessions();
  impl_->forgetTouches(expired);
  return expired;
}
int64_t Store::sessionCount() const { return impl_->backend->sessionCount(); }
std::vector<Session> Store::sessions() const { return impl_->backend->sessions(); }

Task Store::createTask(const std::string& request, std::optional<std::chrono::milliseconds> ttl,
                       std::chrono::milliseconds poll_interval) {
  return impl_->backend->createTask(request, ttl, poll_interval);
}
std::optional<Task> Store::task(const std::string& id) const { return impl_->backend->task(id); }
std::vector<Task> Store::unfinishedTasks() const { return impl_->backend->unfinishedTasks(); }
bool Store::askTaskInput(const std::string& id, const std::string& requests) {
  return impl_->backend->askTaskInput(id, requests);
}
bool Store::answerTaskInput(const std::string& id, const std::string& responses) {
  return impl_->backend->answerTaskInput(id, responses);
}
bool Store::finishTask(const std::string& id, TaskStatus status, const std::string& payload,
                       const std::string& status_message) {
  return impl_->backend->finishTask(id, status, payload, status_message);
}
bool Store::cancelTask(const std::string& id) { return impl_->backend->cancelTask(id); }
void Store::setTaskStatusMessage(const std::string& id, const std::string& message) {
  impl_->backend->setTaskStatusMessage(id, message);
}
std::string Store::requestStateKey() const { return impl_->backend->requestStateKey(); }

void Store::subscribeResource(const std::string& id, const std::string& uri) {
  impl_->backend->subscribeResource(id, uri);
}
bool Store::unsubscribeResource(const std::string& id, const std::string& uri) {
  return impl_->backend->unsubscribeResource(id, uri);
}
std::vector<std::string> Store::resourceSubscribers(const std::string& uri) const {
  return impl_->backend->resourceSubscribers(uri);
}
std::vector<std::string> Store::resourceSubscriptions(const std::string& id) const {
  return impl_->backend->resourceSubscriptions(id);
}

void Store::setUpstreamState(const std::string& id, const UpstreamState& state) {
  impl_->backend->setUpstreamState(id, state);
}
std::optional<Store::UpstreamState> Store::upstreamState(const std::string& id) const {
  return impl_->backend->upstreamState(id);
}
void Store::keepRequest(const std::string& id, StreamId stream, const std::string& request_json) {
  impl_->backend->keepRequest(id, stream, request_json);
}
std::vector<std::pair<Stream, std::string>> Store::keptRequests() const {
  return impl_->backend->keptRequests();
}

StreamId Store::standaloneStream(const std::string& id) const { return impl_->backend->standaloneStream(id); }
StreamId Store::openRequestStream(const std::string& id, const std::string& request_ids_json) {
  return impl_->backend->openRequestStream(id, request_ids_json);
}
void Store::closeStream(const std::string& id, StreamId stream, StreamState final_state) {
  impl_->backend->closeStream(id, stream, final_state);
}
std::optional<Stream> Store::stream(const std::string& id, StreamId stream) const {
  return impl_->backend->stream(id, stream);
}
std::vector<Stream> Store::streams(const std::string& id) const { return impl_->backend->streams(id); }
std::vector<Stream> Store::openRequestStreams() const { return impl_->backend->openRequestStreams(); }

std::string Store::append(const std::string& id, StreamId stream, const std::string& type,
                          const std::string& data) {
  return appendEvent(id, stream, type, data).id;
}
std::string Store::appendAndClose(const std::string& id, StreamId stream, const std::string& type,
                                  const std::string& data, StreamState final_state) {
  return appendEvent(id, stream, type, data, final_state).id;
}
Event Store::appendEvent(const std::string& id, StreamId stream, const std::string& type,
                         const std::string& data, std::optional<StreamState> then_close) {
  requireValidType(type);
  return impl_->backend->appendEvent(id, stream, type, data, then_close);
}
Event Store::openAndAnswer(const std::string& id, const std::string& request_ids_json,
                           const std::string& type, const std::string& data) {
  requireValidType(type);
  return impl_->backend->openAndAnswer(id, request_ids_json, type, data);
}
int64_t Store::broadcast(const std::string& type, const std::string& data) {
  requireValidType(type);
  return impl_->backend->broadcast(type, data);
}
Replay Store::eventsAfter(const std::string& id, const std::string& last_event_id,
                          std::size_t limit) const {
  return eventsAfter(id, EventId::require(last_event_id), limit);
}
Replay Store::eventsAfter(const std::string& id, EventId after, std::size_t limit) const {
  return impl_->backend->eventsAfter(id, after, limit);
}
std::vector<Event> Store::events(const std::string& id) const { return impl_->backend->events(id); }
int64_t Store::eventCount(const std::string& id) const { return impl_->backend->eventCount(id); }
void Store::clearEvents(const std::string& id) { impl_->backend->clearEvents(id); }

Retention Store::retention() const { return impl_->backend->retention(); }
void Store::setRetention(const Retention& retention) { impl_->backend->setRetention(retention); }
MaintenanceReport Store::runMaintenance() {
  MaintenanceReport report = impl_->backend->runMaintenance();
  impl_->forgetTouches(report.sessions_expired);
  return report;
}
WriteStats Store::writeStats() const { return impl_->backend->writeStats(); }
bool Store::shared() const { return impl_->backend->shared(); }
const std::string& Store::replicaId() const { return impl_->backend->replicaId(); }
void Store::renewLease() { impl_->backend->renewLease(); }
std::chrono::milliseconds Store::replicaLease() const { return impl_->options.replica_lease; }
void Store::describeReplica(const std::string& description) { impl_->backend->describeReplica(description); }
std::vector<Stream> Store::claimOrphanedStreams(bool others_dead) {
  std::vector<Stream> claimed = impl_->backend->claimOrphanedStreams(others_dead);
  std::sort(claimed.begin(), claimed.end(), [](const Stream& a, const Stream& b) { return a.id < b.id; });
  return claimed;
}
std::vector<Task> Store::claimOrphanedTasks(bool others_dead) {
  std::vector<Task> claimed = impl_->backend->claimOrphanedTasks(others_dead);
  std::sort(claimed.begin(), claimed.end(), [](const Task& a, const Task& b) {
    return std::tie(a.created_at, a.id) < std::tie(b.created_at, b.id);
  });
  return claimed;
}
bool Store::leaveForStreamOwner(const std::string& id, StreamId stream, const std::string& message) {
  return impl_->backend->leaveForStreamOwner(id, stream, message);
}
std::vector<std::pair<std::string, std::string>> Store::takeMessages() { return impl_->backend->takeMessages(); }

Store::Changes Store::changesSince(ChangeMark& mark) {
  Changes changes = impl_->backend->changesSince(mark);
  changes.messages = changes.messages || changes.everything;
  return changes;
}
uint64_t Store::watchChanges(std::function<void()> wake) {
  return impl_->backend->watchChanges(std::move(wake));
}
void Store::unwatchChanges(uint64_t handle) { impl_->backend->unwatchChanges(handle); }

}  // namespace mcpkeep
