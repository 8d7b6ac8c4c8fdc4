// mcpkeep::Store: durable MCP session state in a WAL-mode SQLite file:
// sessions, their SSE streams, and the events sent on them, with retention
// and replay after a Last-Event-ID.
//
//   mcpkeep::Store store("mcpkeep.db");
//   mcpkeep::Session s = store.createSession();
//   auto stream = store.openRequestStream(s.id, R"([1])");
//   std::string id = store.append(s.id, stream, "message", R"({"jsonrpc":"2.0"})");
//   mcpkeep::Replay r = store.eventsAfter(s.id, "<Last-Event-ID>");
//
// Thread safety: every method may be called from any thread at any time.
// Writes from many threads are gathered into shared transactions (group
// commit); a write method returns only after its transaction has committed.
// Reads use a pool of connections and see every write that has returned.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <mcpkeep/error.h>
#include <mcpkeep/event.h>
#include <mcpkeep/event_id.h>
#include <mcpkeep/options.h>
#include <mcpkeep/session.h>
#include <mcpkeep/task.h>
#include <mcpkeep/stream.h>

namespace mcpkeep {

// What one run of the maintenance job did.
struct MaintenanceReport {
  int64_t events_expired = 0;                 // deleted for age
  int64_t streams_pruned = 0;                 // closed request streams left empty
  std::vector<std::string> sessions_expired;  // deleted for idleness
  int64_t tasks_expired = 0;                  // deleted, their ttl past
};

// A histogram for metrics: how many observations fell at or under each
// bound (not cumulative; the last count is over the last bound), their sum
// and number.
struct Histogram {
  std::vector<double> bounds;
  std::vector<int64_t> counts;  // bounds.size() + 1
  double sum = 0;
  int64_t count = 0;

  explicit Histogram(std::vector<double> upper_bounds = {})
      : bounds(std::move(upper_bounds)), counts(bounds.size() + 1, 0) {}
  void observe(double value);
};

// Counters since open, for benchmarks and metrics.
struct WriteStats {
  int64_t commits = 0;  // transactions committed
  int64_t writes = 0;   // write operations in them
  int64_t appends = 0;  // events appended
  int64_t sessions_expired = 0;  // by expireIdleSessions (the maintenance job)
  // Seconds from BEGIN to the end of COMMIT, per committed transaction.
  Histogram commit_seconds;
  // Write operations per committed transaction (group commit's batches).
  Histogram batch_sizes;
};

class Store {
 public:
  // Opens (or creates) the database at `path`: checks it, enables WAL and
  // applies pending migrations. Streams stay as they are (an McpServer
  // answers those a dead process left open). Throws Error naming the file and the cause: kCantOpen,
  // kReadOnly, kNotADatabase, kCorrupt, kNewerSchema, kBusy, kIo. A file that
  // fails is never replaced or modified.
  explicit Store(const std::string& path, StoreOptions options = StoreOptions());
  ~Store();

  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::string& path() const;

  // Migration version this library writes (PRAGMA user_version).
  static int schemaVersion();

  // Sizes of a database file and of its WAL (0 for one that does not exist).
  struct FileSizes {
    int64_t database_bytes = 0;
    int64_t wal_bytes = 0;
  };
  static FileSizes fileSizes(const std::string& path);

  // ---- Sessions --------------------------------------------------------

  // Creates a session with a fresh 128-bit random id, and its standalone stream.
  Session createSession();

  // The session, or nullopt if there is none with this id.
  std::optional<Session> session(const std::string& session_id) const;

  // Records activity (for idle expiry), at most once per touch_interval.
  // Throws kNotFound for an unknown session.
  void touchSession(const std::string& session_id);

  // Records the result of `initialize`. The JSON arguments are JSON text
  // (empty: none). Throws kNotFound, or kInvalidArgument for invalid JSON.
  void markInitialized(const std::string& session_id, const std::string& protocol_version,
                       const std::string& client_capabilities_json,
                       const std::string& client_info_json);

  // Reads the session, lets `change` edit it, and writes back last_active,
  // initialized, protocol_version, client_capabilities and client_info, all
  // in one transaction. `change` runs on the writer and must not call the
  // Store. Throws kNotFound, or what `change` throws (nothing is written).
  void updateSession(const std::string& session_id, const std::function<void(Session&)>& change);

  // Deletes the session with its streams and events. False if there was none.
  bool removeSession(const std::string& session_id);

  // Deletes sessions idle longer than the retention's session_timeout and
  // returns their ids.
  std::vector<std::string> expireIdleSessions();

  // How many sessions the file holds: one row kept by triggers (whoever
  // inserts or deletes), not a count of them, so it costs the same with a
  // million sessions on file.
  int64_t sessionCount() const;

  // ---- Tasks (protocol 2026-07-28's tasks extension) -----------------

  // Creates a working task for the tools/call `request` (JSON params).
  Task createTask(const std::string& request, std::optional<std::chrono::milliseconds> ttl,
                  std::chrono::milliseconds poll_interval);

  // The task, or nullopt if there is none with this id (or it expired).
  std::optional<Task> task(const std::string& task_id) const;

  // Tasks still working or waiting for input (after a crash: what no one
  // finishes any more).
  std::vector<Task> unfinishedTasks() const;

  // Adds input requests (a JSON object, key -> request) that the task waits
  // on, and marks it input_required. False when the task is finished or
  // gone (nothing changes).
  bool askTaskInput(const std::string& task_id, const std::string& requests);

  // Records the client's answers (JSON object, key -> result) to requests
  // the task waits on; answers to other keys are ignored. Once none waits,
  // the task is working again. False when there is no such task.
  bool answerTaskInput(const std::string& task_id, const std::string& responses);

  // Finishes an unfinished task: completed with `payload` as its result,
  // or failed with `payload` as its JSON-RPC error. False (nothing changes)
  // when it had finished already (e.g. cancelled) or is gone.
  bool finishTask(const std::string& task_id, TaskStatus status, const std::string& payload,
                  const std::string& status_message = std::string());

  // Cancels the task unless it has finished. False when there is no such task.
  bool cancelTask(const std::string& task_id);

  // Sets the status message of an unfinished task.
  void setTaskStatusMessage(const std::string& task_id, const std::string& message);

  // The file's 32 random bytes that sign and check requestState (protocol
  // 2026-07-28); the same for every process and restart on the file.
  std::string requestStateKey() const;

  // All sessions, oldest first.
  std::vector<Session> sessions() const;

  // ---- Resource subscriptions -------------------------------------------

  // Records that the session wants updates of `uri` (MCP resources/subscribe);
  // idempotent. Throws kNotFound for an unknown session, kInvalidArgument
  // for an empty uri.
  void subscribeResource(const std::string& session_id, const std::string& uri);
  // Forgets it; false if the session was not subscribed.
  bool unsubscribeResource(const std::string& session_id, const std::string& uri);
  // The sessions subscribed to `uri`.
  std::vector<std::string> resourceSubscribers(const std::string& uri) const;
  // The URIs the session is subscribed to, in order.
  std::vector<std::string> resourceSubscriptions(const std::string& session_id) const;

  // ---- Upstream state (the gateway) --------------------------------------

  // What a gateway needs to rebuild a session's upstream MCP server; the
  // JSON members are JSON text.
  struct UpstreamState {
    std::string initialize_params;  // the client's initialize params
    std::string initialize_result;  // the upstream's answer to it
    std::string log_level;          // from logging/setLevel; empty: none
    std::string upstream_session_id;  // an HTTP upstream's Mcp-Session-Id; empty: none
  };
  // Writes the session's upstream state (replacing any). Throws kNotFound
  // for an unknown session, kInvalidArgument for invalid JSON.
  void setUpstreamState(const std::string& session_id, const UpstreamState& state);
  // The session's upstream state, or nullopt when it has none.
  std::optional<UpstreamState> upstreamState(const std::string& session_id) const;
  // Keeps the request a stream answers (JSON text), so a restarted server
  // can send it upstream again; dropped when the stream closes. Throws
  // kNotFound for a stream that is not the session's.
  void keepRequest(const std::string& session_id, StreamId stream, const std::string& request_json);
  // The kept requests of open streams, oldest first: (stream, request).
  std::vector<std::pair<Stream, std::string>> keptRequests() const;

  // ---- Streams ---------------------------------------------------------

  // The session's standalone stream (made with the session). Throws kNotFound.
  StreamId standaloneStream(const std::string& session_id) const;

  // Opens the response stream of a POST that carried these JSON-RPC request
  // ids (a JSON array as text). Throws kNotFound or kInvalidArgument.
  StreamId openRequestStream(const std::string& session_id, const std::string& request_ids_json);

  // Closes a stream as kCompleted or kInterrupted; closing a closed stream is
  // a no-op. Throws kNotFound for a stream not of this session, and
  // kInvalidArgument for kOpen.
  void closeStream(const std::string& session_id, StreamId stream,
                   StreamState final_state = StreamState::kCompleted);

  // The stream if it exists and belongs to the session.
  std::optional<Stream> stream(const std::string& session_id, StreamId stream) const;

  // The session's streams, oldest first.
  std::vector<Stream> streams(const std::string& session_id) const;

  // Request streams still open, in every session, oldest first. Opening a
  // file leaves them as they are; creating an McpServer answers those a
  // dead process left (see McpServer's constructor).
  std::vector<Stream> openRequestStreams() const;

  // ---- Events ----------------------------------------------------------

  // Appends an event to an open stream of the session and returns its id,
  // after it has committed. `data` must be JSON text, `type` non-empty
  // without CR/LF. Throws kNotFound (session or stream), kStreamClosed,
  // kInvalidArgument.
  std::string append(const std::string& session_id, StreamId stream, const std::string& type,
                     const std::string& data);

  // Opens a request stream (openRequestStream), appends its one event and
  // closes it, in one transaction: a request answered at once costs one
  // commit, not two. Returns the event as stored (its stream is new).
  Event openAndAnswer(const std::string& session_id, const std::string& request_ids_json,
                      const std::string& type, const std::string& data);

  // append, or appendAndClose given `then_close`, returning the event as
  // stored (what a reader of the store would get), for live delivery from
  // memory (Hub).
  Event appendEvent(const std::string& session_id, StreamId stream, const std::string& type,
                    const std::string& data, std::optional<StreamState> then_close = std::nullopt);

  // Appends the last event of a stream and closes it (see closeStream) in
  // one transaction, so a response and the end of its stream commit
  // together. Throws as append and closeStream do; on a throw, neither
  // happened.
  std::string appendAndClose(const std::string& session_id, StreamId stream,
                             const std::string& type, const std::string& data,
                             StreamState final_state = StreamState::kCompleted);

  // Appends one event to the standalone stream of every session, in one
  // transaction. Returns the number of sessions it reached.
  int64_t broadcast(const std::string& type, const std::string& data);

  // The events of the stream named by `last_event_id` that come after it, in
  // order, at most `limit` of them (see Replay for the three outcomes).
  // Throws kInvalidEventId for a malformed id, an id of another session's
  // stream or of an unknown stream, or one past the session's last event;
  // kNotFound for an unknown session.
  Replay eventsAfter(const std::string& session_id, const std::string& last_event_id,
                     std::size_t limit = kNoLimit) const;
  Replay eventsAfter(const std::string& session_id, EventId after,
                     std::size_t limit = kNoLimit) const;

  // All retained events of the session, in order.
  std::vector<Event> events(const std::string& session_id) const;

  int64_t eventCount(const std::string& session_id) const;

  // Deletes every event of the session (resuming streams then see a gap);
  // seqs go on from where they were.
  void clearEvents(const std::string& session_id);

  // ---- Retention and maintenance ---------------------------------------

  Retention retention() const;
  void setRetention(const Retention& retention);

  // Deletes events past max_age, request streams closed longer than max_age
  // that have no events left (resuming one is then kInvalidEventId), and
  // sessions past session_timeout; then runs incremental vacuum, a WAL
  // checkpoint (TRUNCATE) and PRAGMA optimize.
  MaintenanceReport runMaintenance();

  WriteStats writeStats() const;

  // ---- Replicas ----------------------------------------------------------

  // True when the database is a server that several processes (replicas)
  // share (PostgreSQL); a file is served by one process at a time.
  bool shared() const;

  // This process's replica id: random, new at each open. The request streams
  // it opens are its own while its lease (StoreOptions::replica_lease) lives.
  const std::string& replicaId() const;

  // StoreOptions::replica_lease, as opened.
  std::chrono::milliseconds replicaLease() const;

  // Renews this replica's lease now (the store does so on its own every
  // third of the lease).
  void renewLease();

  // Says who this replica is, for people reading the replicas table.
  void describeReplica(const std::string& description);

  // Makes this replica the owner of the open request streams of replicas
  // presumed dead, and returns them, oldest first: those whose lease ran
  // out, or with `others_dead` (the caller knows no other process serves
  // the database) every other replica's. Each stream is claimed by exactly
  // one replica; the claimer ends it (or answers it anew).
  std::vector<Stream> claimOrphanedStreams(bool others_dead = false);

  // The same for unfinished tasks: those whose replica is presumed dead
  // become this replica's, and are returned, oldest first.
  std::vector<Task> claimOrphanedTasks(bool others_dead = false);

  // Leaves `message` (JSON text) for the replica that owns the open stream
  // (a client's answer to a request sent on it, or the cancellation of the
  // call it answers, that reached another replica); the owner's change feed
  // says `messages`. False (nothing left) when the stream is not open, has
  // no owner, or is this replica's.
  bool leaveForStreamOwner(const std::string& session_id, StreamId stream, const std::string& message);

  // Takes the messages left for this replica: (session id, message), oldest
  // first.
  std::vector<std::pair<std::string, std::string>> takeMessages();

  // ---- Writes by other processes -----------------------------------------

  // What was committed to the file since `mark` was last passed here: for
  // a process's watcher of other writers (Hub), so that subscribers need
  // not each poll. A new mark's first call only notes where the file is.
  struct Changes {
    // Sessions that gained events (by any connection, this Store's included).
    std::vector<std::string> sessions;
    // Something else may have changed that `sessions` does not name (a
    // stream closed or a session deleted by another connection, events
    // deleted): every subscriber should look again. Set when another
    // connection committed while this Store did not, and at least every
    // 30 s while commits of both kinds cannot be told apart.
    bool everything = false;
    // Messages were left for this replica (takeMessages), as a shared
    // database's feed tells; also set with `everything` (a file's feed
    // says it only so).
    bool messages = false;
  };
  // Where a watcher last looked. Plain data; one per watcher.
  struct ChangeMark {
    bool initialized = false;
    int64_t data_version = 0;
    int64_t last_event_rowid = 0;
    uint64_t own_transactions = 0;
    bool unexplained = false;  // changes seen that `sessions` may not all have named
    std::chrono::steady_clock::time_point last_everything;
  };
  Changes changesSince(ChangeMark& mark);

  // Calls `wake` (on a thread of the store's) as soon as changesSince has
  // something new to tell: on PostgreSQL, when a commit is announced or the
  // listening connection comes back; on a file, never (a watcher polls).
  // Returns a handle for unwatchChanges, after which no call is running.
  uint64_t watchChanges(std::function<void()> wake);
  void unwatchChanges(uint64_t handle);

  static constexpr std::size_t kNoLimit = static_cast<std::size_t>(-1);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mcpkeep
