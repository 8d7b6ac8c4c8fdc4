// store::Backend: what a Store keeps its state in. Two implementations meet
// one contract: SqliteStore (src/store/sqlite/, one WAL-mode file) and
// PostgresStore (src/store/postgres/, a PostgreSQL database shared by
// replicas). Store (store.cc) picks one by its location and adds what is
// the same for both: the maintenance timer.
//
// The contract (checked by running the store, retention and hub test suites
// against both backends through one fixture, tests/helpers/backends.h):
// - A write returns after it has committed; a read sees every write that
//   has returned, in any process on the same database.
// - Sequence: an event's seq is the session's last_seq + 1, assigned in the
//   appending transaction, so seqs of a session are unique, gap-free as
//   written, and never given twice (last_seq survives deleted events), even
//   when several processes append to one session at once.
// - Events are appended only to open streams of their own session
//   (kStreamClosed, kNotFound); their type is non-empty without CR/LF and
//   their data valid JSON text, returned byte for byte (kInvalidArgument).
// - Count retention: an append keeps at most max_events events per session,
//   deleting the oldest; every deletion of an event (retention, age, clear,
//   by hand) raises its stream's evicted_through to its seq, so a resume
//   after it reports a gap.
// - Cascades: deleting a session deletes its streams, events, resource
//   subscriptions and upstream state; deleting a stream its events and kept
//   request; closing a stream drops its kept request.
// - The session count is kept on every insert and delete, whoever makes it.
// - Replicas: a request stream is owned by the replica that opened it; a
//   replica registers at open with a lease, renews it, and leaves at close.
//   claimOrphanedStreams gives each stream of a dead replica to exactly one
//   claimer.
// The methods' meaning is Store's (mcpkeep/store.h).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <mcpkeep/store.h>

namespace mcpkeep::store {

class Backend {
 public:
  virtual ~Backend() = default;

  virtual const std::string& location() const = 0;

  virtual Session createSession() = 0;
  virtual std::optional<Session> session(const std::string& session_id) const = 0;
  // Writes last_active now (Store coalesces touches).
  virtual void touchSession(const std::string& session_id) = 0;
  virtual void updateSession(const std::string& session_id,
                             const std::function<void(Session&)>& change) = 0;
  virtual bool removeSession(const std::string& session_id) = 0;
  virtual std::vector<std::string> expireIdleSessions() = 0;
  virtual int64_t sessionCount() const = 0;
  virtual std::vector<Session> sessions() const = 0;

  virtual Task createTask(const std::string& request, std::optional<std::chrono::milliseconds> ttl,
                          std::chrono::milliseconds poll_interval) = 0;
  virtual std::optional<Task> task(const std::string& task_id) const = 0;
  virtual std::vector<Task> unfinishedTasks() const = 0;
  virtual bool askTaskInput(const std::string& task_id, const std::string& requests) = 0;
  virtual bool answerTaskInput(const std::string& task_id, const std::string& responses) = 0;
  virtual bool finishTask(const std::string& task_id, TaskStatus status, const std::string& payload,
                          const std::string& status_message) = 0;
  virtual bool cancelTask(const std::string& task_id) = 0;
  virtual void setTaskStatusMessage(const std::string& task_id, const std::string& message) = 0;
  virtual std::string requestStateKey() const = 0;

  virtual void subscribeResource(const std::string& session_id, const std::string& uri) = 0;
  virtual bool unsubscribeResource(const std::string& session_id, const std::string& uri) = 0;
  virtual std::vector<std::string> resourceSubscribers(const std::string& uri) const = 0;
  virtual std::vector<std::string> resourceSubscriptions(const std::string& session_id) const = 0;

  virtual void setUpstreamState(const std::string& session_id, const Store::UpstreamState& state) = 0;
  virtual std::optional<Store::UpstreamState> upstreamState(const std::string& session_id) const = 0;
  virtual void keepRequest(const std::string& session_id, StreamId stream,
                           const std::string& request_json) = 0;
  virtual std::vector<std::pair<Stream, std::string>> keptRequests() const = 0;

  virtual StreamId standaloneStream(const std::string& session_id) const = 0;
  virtual StreamId openRequestStream(const std::string& session_id,
                                     const std::string& request_ids_json) = 0;
  virtual void closeStream(const std::string& session_id, StreamId stream,
                           StreamState final_state) = 0;
  virtual std::optional<Stream> stream(const std::string& session_id, StreamId stream) const = 0;
  virtual std::vector<Stream> streams(const std::string& session_id) const = 0;
  virtual std::vector<Stream> openRequestStreams() const = 0;

  virtual Event openAndAnswer(const std::string& session_id, const std::string& request_ids_json,
                              const std::string& type, const std::string& data) = 0;
  virtual Event appendEvent(const std::string& session_id, StreamId stream, const std::string& type,
                            const std::string& data, std::optional<StreamState> then_close) = 0;
  virtual int64_t broadcast(const std::string& type, const std::string& data) = 0;
  virtual Replay eventsAfter(const std::string& session_id, EventId after,
                             std::size_t limit) const = 0;
  virtual std::vector<Event> events(const std::string& session_id) const = 0;
  virtual int64_t eventCount(const std::string& session_id) const = 0;
  virtual void clearEvents(const std::string& session_id) = 0;

  virtual Retention retention() const = 0;
  virtual void setRetention(const Retention& retention) = 0;
  virtual MaintenanceReport runMaintenance() = 0;
  virtual WriteStats writeStats() const = 0;

  virtual bool shared() const = 0;
  virtual const std::string& replicaId() const = 0;
  virtual void renewLease() = 0;
  virtual void describeReplica(const std::string& description) = 0;
  // In any order (the Store sorts them).
  virtual std::vector<Stream> claimOrphanedStreams(bool others_dead) = 0;
  virtual std::vector<Task> claimOrphanedTasks(bool others_dead) = 0;
  virtual bool leaveForStreamOwner(const std::string& session_id, StreamId stream,
                                   const std::string& message) = 0;
  virtual std::vector<std::pair<std::string, std::string>> takeMessages() = 0;

  virtual Store::Changes changesSince(Store::ChangeMark& mark) = 0;
  // See Store::watchChanges. A file's backend has nothing to push: its
  // changes are found by polling changesSince.
  virtual uint64_t watchChanges(std::function<void()> wake) {
    (void)wake;
    return 0;
  }
  virtual void unwatchChanges(uint64_t handle) { (void)handle; }
};

// The event a backend just appended, as a read of the store would return it.
Event storedEvent(const std::string& session_id, StreamId stream, int64_t seq,
                  const std::string& type, const std::string& data, int64_t now_ms);

// Throws kInvalidArgument unless every retention limit is above zero.
void requireValidRetention(const Retention& r);

// Retention as rows of the settings table, (name, value), after
// requireValidRetention.
std::vector<std::pair<const char*, int64_t>> retentionSettings(const Retention& r);

// Sets the limit a settings row names; other names leave `r` as it is.
void readRetentionSetting(Retention& r, const std::string& name, int64_t value);

// Message for a session id the store does not know.
std::string noSuchSession(const std::string& session_id);

// "stream 7 of session '3fa...'", for messages.
std::string streamName(const std::string& session_id, StreamId stream);

}  // namespace mcpkeep::store
