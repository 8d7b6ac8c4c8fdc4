// Store methods for streams: the standalone stream, request streams,
// closing, reading.
#include <mcpkeep/store.h>

#include <sqlite3.h>

#include "store/sqlite/rows.h"
#include "store/sqlite/sqlite_store.h"
#include "store/unix_time.h"

namespace mcpkeep::store {
using store::Connection;

StreamId SqliteStore::standaloneStream(const std::string& session_id) const {
  return read("reading the standalone stream of '" + session_id + "'", [&](Connection& c) {
    auto q = c.query("SELECT id FROM streams WHERE session_id = ? AND kind = 'standalone'");
    q->bind(1, session_id);
    if (!q->executeStep()) throw Error(ErrorCode::kNotFound, noSuchSession(session_id));
    return q->getColumn(0).getInt64();
  });
}

StreamId SqliteStore::insertRequestStream(Connection& c, const std::string& session_id,
                                          const std::string& request_ids_json, int64_t now) const {
  auto q = c.query(
      "INSERT INTO streams (session_id, kind, request_ids, created_at, owner) "
      "SELECT id, 'request', ?, ?, ? FROM sessions WHERE id = ?");
  q->bind(1, request_ids_json);
  q->bind(2, now);
  q->bind(3, replica_id);
  q->bind(4, session_id);
  int inserted = 0;
  try {
    inserted = q->exec();
  } catch (const SQLite::Exception& e) {
    if (e.getErrorCode() != SQLITE_CONSTRAINT) throw;
    throw Error(ErrorCode::kInvalidArgument,
                "request ids of a new stream of session '" + session_id + "' must be a JSON array");
  }
  if (inserted == 0) throw Error(ErrorCode::kNotFound, noSuchSession(session_id));
  return c.db().getLastInsertRowid();
}

StreamId SqliteStore::openRequestStream(const std::string& session_id,
                                  const std::string& request_ids_json) {
  StreamId id = 0;
  const int64_t now = toUnixMillis(this->now());
  writer->write([&](Connection& c) {
    id = insertRequestStream(c, session_id, request_ids_json, now);
  });
  return id;
}

void SqliteStore::markStreamClosed(Connection& c, const std::string& session_id, StreamId stream,
                                   StreamState final_state, int64_t now) {
  if (final_state == StreamState::kOpen) {
    throw Error(ErrorCode::kInvalidArgument,
                "closing " + streamName(session_id, stream) + ": the final state cannot be open");
  }
  auto q = c.query(
      "UPDATE streams SET state = ?, closed_at = ? "
      "WHERE id = ? AND session_id = ? AND state = 'open'");
  q->bind(1, streamStateName(final_state));
  q->bind(2, now);
  q->bind(3, stream);
  q->bind(4, session_id);
  if (q->exec() == 0 && !streamState(c, session_id, stream)) {
    throw Error(ErrorCode::kNotFound, "no " + streamName(session_id, stream));
  }
}

void SqliteStore::closeStream(const std::string& session_id, StreamId stream, StreamState final_state) {
  const int64_t now = toUnixMillis(this->now());
  writer->write([&](Connection& c) {
    markStreamClosed(c, session_id, stream, final_state, now);
  });
}

std::optional<Stream> SqliteStore::stream(const std::string& session_id, StreamId stream) const {
  return read("reading " + streamName(session_id, stream),
                     [&](Connection& c) -> std::optional<Stream> {
                       auto q = c.query(std::string("SELECT ") + store::kStreamColumns +
                                        " FROM streams WHERE id = ? AND session_id = ?");
                       q->bind(1, stream);
                       q->bind(2, session_id);
                       if (!q->executeStep()) return std::nullopt;
                       return store::readStream(*q);
                     });
}

std::vector<Stream> SqliteStore::streams(const std::string& session_id) const {
  return read("listing the streams of '" + session_id + "'", [&](Connection& c) {
    std::vector<Stream> all;
    auto q = c.query(std::string("SELECT ") + store::kStreamColumns +
                     " FROM streams WHERE session_id = ? ORDER BY id");
    q->bind(1, session_id);
    while (q->executeStep()) all.push_back(store::readStream(*q));
    return all;
  });
}

std::vector<Stream> SqliteStore::openRequestStreams() const {
  return read("listing open request streams", [&](Connection& c) {
    std::vector<Stream> open;
    auto q = c.query(std::string("SELECT ") + store::kStreamColumns +
                     " FROM streams WHERE state = 'open' AND kind = 'request' ORDER BY id");
    while (q->executeStep()) open.push_back(store::readStream(*q));
    return open;
  });
}

}  // namespace mcpkeep::store
