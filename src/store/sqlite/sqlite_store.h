// store::SqliteStore: the Backend on one WAL-mode SQLite file. Its methods
// live in sessions.cc, streams.cc, events.cc, tasks.cc, maintenance.cc,
// changes.cc, resource_subscriptions.cc and upstream_state.cc; the
// invariants of backend.h are kept by the schema's triggers
// (migrations/*.sql), so they hold for rows written with the sqlite3 CLI too.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include <mcpkeep/store.h>

#include "store/backend.h"
#include "store/connection_pool.h"
#include "store/group_commit.h"
#include "store/sqlite/checkpointer.h"
#include "store/sqlite/connection.h"
#include "store/sqlite/sqlite_error.h"

namespace mcpkeep::store {

class SqliteStore final : public Backend {
 public:
  SqliteStore(const std::string& path, StoreOptions options);
  ~SqliteStore() override;  // leaves the replicas table

  const std::string& location() const override { return path; }

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

  bool shared() const override { return false; }
  const std::string& replicaId() const override { return replica_id; }
  void renewLease() override;
  void describeReplica(const std::string& description) override;
  std::vector<Stream> claimOrphanedStreams(bool others_dead) override;
  std::vector<Task> claimOrphanedTasks(bool others_dead) override;
  bool leaveForStreamOwner(const std::string& session_id, StreamId stream,
                           const std::string& message) override;
  std::vector<std::pair<std::string, std::string>> takeMessages() override;

  Store::Changes changesSince(Store::ChangeMark& mark) override;

 private:
  TimePoint now() const { return options.clock(); }

  // Runs `read` on a borrowed read connection; SQLite errors become
  // mcpkeep::Error with `context` ("reading session 3fa...").
  template <typename Read>
  auto read(const std::string& context, Read&& read) const {
    auto lease = readers->borrow();
    try {
      return read(*lease);
    } catch (const SQLite::Exception& e) {
      throw store::translateSqliteError(e, context + " in " + path);
    }
  }

  // Throws kNotFound unless the session exists (for error paths: tells an
  // unknown session from an empty result).
  static void requireSession(store::Connection& c, const std::string& session_id);

  // The stored state of a stream of the session ("open", "completed",
  // "interrupted"), or nullopt if the session has no such stream.
  static std::optional<std::string> streamState(store::Connection& c,
                                                const std::string& session_id, StreamId stream);

  // In a write transaction: appends an event and returns its seq (Store::append).
  static int64_t insertEvent(store::Connection& c, const std::string& session_id, StreamId stream,
                             const std::string& type, const std::string& data, int64_t now);
  // In a write transaction: opens a request stream (Store::openRequestStream).
  StreamId insertRequestStream(store::Connection& c, const std::string& session_id,
                               const std::string& request_ids_json, int64_t now) const;
  // In a write transaction: closes a stream (Store::closeStream).
  static void markStreamClosed(store::Connection& c, const std::string& session_id,
                               StreamId stream, StreamState final_state, int64_t now);

  const std::string path;
  StoreOptions options;
  const std::string replica_id;
  std::unique_ptr<GroupCommit<Connection>> writer;
  // Declared after the writer: unhooks it before it closes.
  std::unique_ptr<store::Checkpointer> checkpointer;
  // The checkpointer's thread copies every 500 pages (2 MB) of WAL; the
  // writer finishes the copy, and so bounds the WAL, at 10000 (40 MB). Its
  // checkpoint (with its fsyncs) is what commits wait for: rarer than
  // SQLite's default of every 1000 pages, it leaves p99 latency ~25% lower.
  static constexpr int kCheckpointStepPages = 500;
  static constexpr int kCheckpointPages = 10000;
  std::unique_ptr<ConnectionPool<Connection>> readers;
  std::atomic<int64_t> appends{0};
  std::atomic<int64_t> sessions_expired{0};

  // Store::changesSince's connection: PRAGMA data_version is per
  // connection (and only grows, so several marks can share it).
  std::mutex watch_mutex;
  std::unique_ptr<store::Connection> watch_connection;
};

}  // namespace mcpkeep::store
