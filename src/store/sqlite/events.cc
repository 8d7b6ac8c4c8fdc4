// Store methods for events: append, broadcast, replay after an event id,
// list, count, clear.
#include <mcpkeep/store.h>

#include <sqlite3.h>

#include "store/sqlite/rows.h"
#include "store/sqlite/sqlite_store.h"
#include "store/unix_time.h"

namespace mcpkeep::store {
namespace {

using store::Connection;

// Why an append's INSERT hit a constraint, given the stream's state (nullopt:
// not a stream of the session): the stream, or else the data.
Error explainAppendFailure(const std::optional<std::string>& state, const std::string& session_id,
                           StreamId stream, const SQLite::Exception& e) {
  const std::string name = streamName(session_id, stream);
  if (!state) return Error(ErrorCode::kNotFound, "appending: no " + name);
  if (*state != "open") {
    return Error(ErrorCode::kStreamClosed,
                 "appending to " + name + ": the stream is " + *state + "; open a new stream");
  }
  return Error(ErrorCode::kInvalidArgument,
               "appending to " + name + ": event data is not valid JSON text (" + e.what() + ")");
}

}  // namespace

int64_t SqliteStore::insertEvent(Connection& c, const std::string& session_id, StreamId stream,
                                 const std::string& type, const std::string& data, int64_t now) {
  // The seq comes from the session row inside the transaction, so it is
  // contiguous and never reused; triggers advance last_seq and retain.
  auto q = c.query(
      "INSERT INTO events (session_id, stream_id, seq, type, data, created_at) "
      "SELECT id, ?, last_seq + 1, ?, ?, ? FROM sessions WHERE id = ? RETURNING seq");
  q->bind(1, stream);
  q->bindNoCopy(2, type);
  q->bindNoCopy(3, data);
  q->bind(4, now);
  q->bind(5, session_id);
  try {
    if (!q->executeStep()) throw Error(ErrorCode::kNotFound, noSuchSession(session_id));
  } catch (const SQLite::Exception& e) {
    if (e.getErrorCode() != SQLITE_CONSTRAINT) throw;
    throw explainAppendFailure(streamState(c, session_id, stream), session_id, stream, e);
  }
  return q->getColumn(0).getInt64();
}

Event SqliteStore::appendEvent(const std::string& session_id, StreamId stream,
                               const std::string& type, const std::string& data,
                               std::optional<StreamState> then_close) {
  const int64_t now = store::toUnixMillis(this->now());
  int64_t seq = 0;
  writer->write([&](Connection& c) {
    seq = insertEvent(c, session_id, stream, type, data, now);
    if (then_close) markStreamClosed(c, session_id, stream, *then_close, now);
  });
  ++appends;
  return storedEvent(session_id, stream, seq, type, data, now);
}

Event SqliteStore::openAndAnswer(const std::string& session_id, const std::string& request_ids_json,
                           const std::string& type, const std::string& data) {
  const int64_t now = toUnixMillis(this->now());
  StreamId stream = 0;
  int64_t seq = 0;
  writer->write([&](Connection& c) {
    stream = insertRequestStream(c, session_id, request_ids_json, now);
    seq = insertEvent(c, session_id, stream, type, data, now);
    markStreamClosed(c, session_id, stream, StreamState::kCompleted, now);
  });
  ++appends;
  return storedEvent(session_id, stream, seq, type, data, now);
}

int64_t SqliteStore::broadcast(const std::string& type, const std::string& data) {
  const int64_t now = toUnixMillis(this->now());
  int64_t reached = 0;
  writer->write([&](Connection& c) {
    auto valid = c.query("SELECT json_valid(?)");
    valid->bindNoCopy(1, data);
    if (!valid->executeStep() || valid->getColumn(0).getInt() != 1) {
      throw Error(ErrorCode::kInvalidArgument, "broadcast: event data is not valid JSON text");
    }
    auto q = c.query(
        "INSERT INTO events (session_id, stream_id, seq, type, data, created_at) "
        "SELECT s.id, st.id, s.last_seq + 1, ?, ?, ? FROM sessions s "
        "JOIN streams st ON st.session_id = s.id AND st.kind = 'standalone' "
        "AND st.state = 'open'");
    q->bindNoCopy(1, type);
    q->bindNoCopy(2, data);
    q->bind(3, now);
    reached = q->exec();
  });
  appends += reached;
  return reached;
}

Replay SqliteStore::eventsAfter(const std::string& session_id, EventId after, std::size_t limit) const {
  return read("replaying after " + after.toString() + " for session '" + session_id + "'",
                     [&](Connection& c) {
    // One read transaction: the stream's state and its events are one snapshot,
    // so a closed stream's events are all here.
    Connection::Transaction snapshot(c, "BEGIN");
    Replay replay;
    int64_t last_seq = 0;
    {
      static const std::string stream_sql = std::string("SELECT ") + store::kStreamColumns +
                                            ", (SELECT last_seq FROM sessions WHERE id = session_id) "
                                            "FROM streams WHERE id = ? AND session_id = ?";
      auto q = c.query(stream_sql);
      q->bind(1, after.stream);
      q->bind(2, session_id);
      if (!q->executeStep()) {
        requireSession(c, session_id);
        // Same answer for another session's stream and no stream at all:
        // nothing here tells whether a stream exists elsewhere.
        throw Error(ErrorCode::kInvalidEventId,
                    "event id " + after.toString() + " is not of a stream of session '" +
                        session_id + "' (or its stream ended and expired)");
      }
      replay.stream = store::readStream(*q);
      last_seq = q->getColumn(8).getInt64();
    }
    if (after.seq > last_seq) {
      throw Error(ErrorCode::kInvalidEventId, "event id " + after.toString() +
                                                  " is past the last event of session '" +
                                                  session_id + "'");
    }
    static const std::string events_sql = std::string("SELECT ") + store::kEventColumns +
                                          " FROM events WHERE stream_id = ? AND seq > ? ORDER BY seq LIMIT ?";
    auto q = c.query(events_sql);
    q->bind(1, after.stream);
    q->bind(2, after.seq);
    q->bind(3, limit == Store::kNoLimit ? int64_t{-1} : static_cast<int64_t>(limit));
    while (q->executeStep()) replay.events.push_back(store::readEvent(*q));
    replay.gap = replay.stream.evicted_through > after.seq;
    replay.session_last_seq = last_seq;
    return replay;
  });
}

std::vector<Event> SqliteStore::events(const std::string& session_id) const {
  return read("reading the events of '" + session_id + "'", [&](Connection& c) {
    std::vector<Event> all;
    auto q = c.query(std::string("SELECT ") + store::kEventColumns +
                     " FROM events WHERE session_id = ? ORDER BY seq");
    q->bind(1, session_id);
    while (q->executeStep()) all.push_back(store::readEvent(*q));
    if (all.empty()) requireSession(c, session_id);
    return all;
  });
}

int64_t SqliteStore::eventCount(const std::string& session_id) const {
  return read("counting the events of '" + session_id + "'", [&](Connection& c) {
    auto q = c.query("SELECT count(*) FROM events WHERE session_id = ?");
    q->bind(1, session_id);
    q->executeStep();
    const int64_t n = q->getColumn(0).getInt64();
    if (n == 0) requireSession(c, session_id);
    return n;
  });
}

void SqliteStore::clearEvents(const std::string& session_id) {
  writer->write([&](Connection& c) {
    auto q = c.query("DELETE FROM events WHERE session_id = ?");
    q->bind(1, session_id);
    if (q->exec() == 0) requireSession(c, session_id);
  });
}

}  // namespace mcpkeep::store
