// Store::Impl: what a Store holds. Shared by the files that implement the
// Store's methods (sessions.cc, streams.cc, events.cc, maintenance.cc).
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>

#include <mcpkeep/store.h>

#include "store/checkpointer.h"
#include "store/connection.h"
#include "store/group_commit.h"
#include "store/reader_pool.h"
#include "store/sqlite_error.h"

namespace mcpkeep {

struct Store::Impl {
  Impl(const std::string& path, StoreOptions options);
  ~Impl();

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

  // Store::append, and Store::appendAndClose when `then_close` is given.
  Event appendEvent(const std::string& session_id, StreamId stream, const std::string& type,
                          const std::string& data, std::optional<StreamState> then_close);

  // In a write transaction: appends an event and returns its seq (Store::append).
  static int64_t insertEvent(store::Connection& c, const std::string& session_id, StreamId stream,
                             const std::string& type, const std::string& data, int64_t now);
  // In a write transaction: opens a request stream (Store::openRequestStream).
  static StreamId insertRequestStream(store::Connection& c, const std::string& session_id,
                                      const std::string& request_ids_json, int64_t now);
  // In a write transaction: closes a stream (Store::closeStream).
  static void markStreamClosed(store::Connection& c, const std::string& session_id,
                               StreamId stream, StreamState final_state, int64_t now);

  // Calls `run` every maintenance_interval on a thread of its own, until
  // stopMaintenanceTimer().
  void startMaintenanceTimer(std::function<void()> run);
  void stopMaintenanceTimer();

  const std::string path;
  StoreOptions options;
  std::unique_ptr<store::GroupCommit> writer;
  // Declared after the writer: unhooks it before it closes.
  std::unique_ptr<store::Checkpointer> checkpointer;
  // The checkpointer's thread copies every 500 pages (2 MB) of WAL; the
  // writer finishes the copy, and so bounds the WAL, at 10000 (40 MB). Its
  // checkpoint (with its fsyncs) is what commits wait for: rarer than
  // SQLite's default of every 1000 pages, it leaves p99 latency ~25% lower.
  static constexpr int kCheckpointStepPages = 500;
  static constexpr int kCheckpointPages = 10000;
  std::unique_ptr<store::ReaderPool> readers;
  std::atomic<int64_t> appends{0};
  std::atomic<int64_t> sessions_expired{0};

  // touchSession's last write per session, to coalesce them.
  std::mutex touches_mutex;
  std::unordered_map<std::string, TimePoint> last_touch_written;

  // Store::changesSince's connection: PRAGMA data_version is per
  // connection (and only grows, so several marks can share it).
  std::mutex watch_mutex;
  std::unique_ptr<store::Connection> watch_connection;

  std::mutex timer_mutex;
  std::condition_variable timer_wake;
  bool timer_stopping = false;
  std::thread timer;
};

// Message for a session id the store does not know.
std::string noSuchSession(const std::string& session_id);

// "stream 7 of session '3fa...'", for messages.
std::string streamName(const std::string& session_id, StreamId stream);

}  // namespace mcpkeep
