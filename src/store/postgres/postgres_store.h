// store::PostgresStore: the Backend on a PostgreSQL database that several
// mcpkeep processes (replicas) may share. One writer connection gathers
// writes into shared transactions (GroupCommit), read connections come from
// a pool, and a listening connection hears the commits of every replica
// (PgListener). The invariants of backend.h are kept by the schema's
// triggers (migrations/postgres/); appends to one session from several
// replicas are ordered by the session row's lock. Methods live in
// sessions.cc, events.cc, tasks.cc, side_tables.cc and this file's .cc.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <mcpkeep/store.h>

#include "store/backend.h"
#include "store/connection_pool.h"
#include "store/group_commit.h"
#include "store/postgres/pg_connection.h"
#include "store/postgres/pg_listener.h"

namespace mcpkeep::store {

class PostgresStore final : public Backend {
 public:
  PostgresStore(const std::string& conninfo, StoreOptions options);
  ~PostgresStore() override;  // leaves the replicas table

  const std::string& location() const override { return name_; }

  Session createSession() override;
  std::optional<Session> session(const std::string& session_id) const override;
  void touchSession(const std::string& session_id) override;
  void updateSession(const std::string& session_id,
                     const std::function<void(Session&)>& change) override;
  bool removeSession(const std::string& session_id) override;
  std::vector<std::string> expireIdleSessions() override;
  int64_t sessionCount() const override;
  std::vector<Session> sessions() const override;

  Task createTask(const std::string& request, std::optional<std::chrono::milliseconds> ttl,
                  std::chrono::milliseconds poll_interval) override;
  std::optional<Task> task(const std::string& task_id) const override;
  std::vector<Task> unfinishedTasks() const override;
  bool askTaskInput(const std::string& task_id, const std::string& requests) override;
  bool answerTaskInput(const std::string& task_id, const std::string& responses) override;
  bool finishTask(const std::string& task_id, TaskStatus status, const std::string& payload,
                  const std::string& status_message) override;
  bool cancelTask(const std::string& task_id) override;
  void setTaskStatusMessage(const std::string& task_id, const std::string& message) override;
  std::string requestStateKey() const override;

  void subscribeResource(const std::string& session_id, const std::string& uri) override;
  bool unsubscribeResource(const std::string& session_id, const std::string& uri) override;
  std::vector<std::string> resourceSubscribers(const std::string& uri) const override;
  std::vector<std::string> resourceSubscriptions(const std::string& session_id) const override;

  void setUpstreamState(const std::string& session_id, const Store::UpstreamState& state) override;
  std::optional<Store::UpstreamState> upstreamState(const std::string& session_id) const override;
  void keepRequest(const std::string& session_id, StreamId stream,
                   const std::string& request_json) override;
  std::vector<std::pair<Stream, std::string>> keptRequests() const override;

  StreamId standaloneStream(const std::string& session_id) const override;
  StreamId openRequestStream(const std::string& session_id,
                             const std::string& request_ids_json) override;
  void closeStream(const std::string& session_id, StreamId stream,
                   StreamState final_state) override;
  std::optional<Stream> stream(const std::string& session_id, StreamId stream) const override;
  std::vector<Stream> streams(const std::string& session_id) const override;
  std::vector<Stream> openRequestStreams() const override;

  Event openAndAnswer(const std::string& session_id, const std::string& request_ids_json,
                      const std::string& type, const std::string& data) override;
  Event appendEvent(const std::string& session_id, StreamId stream, const std::string& type,
                    const std::string& data, std::optional<StreamState> then_close) override;
  int64_t broadcast(const std::string& type, const std::string& data) override;
  Replay eventsAfter(const std::string& session_id, EventId after,
                     std::size_t limit) const override;
  std::vector<Event> events(const std::string& session_id) const override;
  int64_t eventCount(const std::string& session_id) const override;
  void clearEvents(const std::string& session_id) override;

  Retention retention() const override;
  void setRetention(const Retention& retention) override;
  MaintenanceReport runMaintenance() override;
  WriteStats writeStats() const override;

  bool shared() const override { return true; }
  const std::string& replicaId() const override { return replica_id_; }
  void renewLease() override;
  void describeReplica(const std::string& description) override;
  std::vector<Stream> claimOrphanedStreams(bool others_dead) override;
  std::vector<Task> claimOrphanedTasks(bool others_dead) override;
  bool leaveForStreamOwner(const std::string& session_id, StreamId stream,
                           const std::string& message) override;
  std::vector<std::pair<std::string, std::string>> takeMessages() override;

  Store::Changes changesSince(Store::ChangeMark& mark) override;
  uint64_t watchChanges(std::function<void()> wake) override;
  void unwatchChanges(uint64_t handle) override;

 private:
  int64_t nowMillis() const;

  // Runs `read` on a borrowed read connection; PostgreSQL's errors become
  // mcpkeep::Error with `context`. A read on a connection the server closed
  // (it restarted since) runs once more on a fresh one.
  template <typename Read>
  auto read(const std::string& context, Read&& read) const {
    for (int attempt = 1;; ++attempt) {
      try {
        auto lease = readers_->borrow();
        return read(*lease);
      } catch (const PgError& e) {
        if (!e.connection_lost || attempt == 2) throw translatePgError(e, context + " in " + name_);
      }
    }
  }
  void write(const std::function<void(PgConnection&)>& op) { writer_->write(op); }

  // Throws kNotFound unless the session exists.
  static void requireSession(PgConnection& c, const std::string& session_id);
  // In a write transaction: appends an event and returns its seq.
  static int64_t insertEvent(PgConnection& c, const std::string& session_id, StreamId stream,
                             const std::string& type, const std::string& data, int64_t now);
  // In a write transaction: opens a request stream.
  StreamId insertRequestStream(PgConnection& c, const std::string& session_id,
                               const std::string& request_ids_json, int64_t now) const;
  // In a write transaction: closes a stream (a no-op when it is closed).
  static void markStreamClosed(PgConnection& c, const std::string& session_id, StreamId stream,
                               StreamState final_state, int64_t now);

  const std::string name_;  // the server, without password
  StoreOptions options_;
  const std::string replica_id_;
  std::unique_ptr<GroupCommit<PgConnection>> writer_;
  std::unique_ptr<ConnectionPool<PgConnection>> readers_;
  std::unique_ptr<PgListener> listener_;
  std::atomic<int64_t> appends_{0};
  std::atomic<int64_t> sessions_expired_{0};
};

}  // namespace mcpkeep::store
