// PostgresStore methods for streams and events: open, close, append,
// broadcast, replay after an event id, list, count, clear. The insert
// trigger (migrations/postgres/0001_store.sql) gives each event its seq and
// refuses appends to closed or foreign streams with SQLSTATEs named here.
#include "store/postgres/pg_rows.h"
#include "store/postgres/postgres_store.h"
#include "store/unix_time.h"

namespace mcpkeep::store {
namespace {

// A read-only snapshot on a read connection: several queries see one state.
class Snapshot {
 public:
  explicit Snapshot(PgConnection& c) : c_(c) { c_.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); }
  ~Snapshot() { c_.rollbackWrite(); }
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;

 private:
  PgConnection& c_;
};

std::vector<Stream> streamRows(const PgResult& r) {
  std::vector<Stream> all;
  for (int i = 0; i < r.rows(); ++i) all.push_back(readStream(r, i));
  return all;
}

}  // namespace

StreamId PostgresStore::standaloneStream(const std::string& session_id) const {
  return read("reading the standalone stream of '" + session_id + "'", [&](PgConnection& c) {
    const PgResult r =
        c.query("SELECT id FROM streams WHERE session_id = $1 AND kind = 'standalone'", {session_id});
    if (r.rows() == 0) throw Error(ErrorCode::kNotFound, noSuchSession(session_id));
    return r.int64(0, 0);
  });
}

StreamId PostgresStore::insertRequestStream(PgConnection& c, const std::string& session_id,
                                            const std::string& request_ids_json, int64_t now) const {
  try {
    const PgResult r = c.query(
        "INSERT INTO streams (session_id, kind, request_ids, created_at, owner) "
        "SELECT id, 'request', $1::json, $2::bigint, $3::text FROM sessions WHERE id = $4 RETURNING id",
        {request_ids_json, now, replica_id_, session_id});
    if (r.rows() == 0) throw Error(ErrorCode::kNotFound, noSuchSession(session_id));
    return r.int64(0, 0);
  } catch (const PgError& e) {
    if (e.sqlstate != "22P02" && e.sqlstate != "23514") throw;
    throw Error(ErrorCode::kInvalidArgument,
                "request ids of a new stream of session '" + session_id + "' must be a JSON array");
  }
}

StreamId PostgresStore::openRequestStream(const std::string& session_id,
                                          const std::string& request_ids_json) {
  StreamId id = 0;
  const int64_t now = nowMillis();
  write([&](PgConnection& c) { id = insertRequestStream(c, session_id, request_ids_json, now); });
  return id;
}

void PostgresStore::markStreamClosed(PgConnection& c, const std::string& session_id, StreamId stream,
                                     StreamState final_state, int64_t now) {
  if (final_state == StreamState::kOpen) {
    throw Error(ErrorCode::kInvalidArgument,
                "closing " + streamName(session_id, stream) + ": the final state cannot be open");
  }
  const int64_t closed = c.query(
      "UPDATE streams SET state = $1, closed_at = $2 "
      "WHERE id = $3 AND session_id = $4 AND state = 'open'",
      {streamStateName(final_state), now, stream, session_id}).affected();
  if (closed > 0) {
    c.noteChanged(session_id);
  } else if (c.query("SELECT 1 FROM streams WHERE id = $1 AND session_id = $2", {stream, session_id})
                 .rows() == 0) {
    throw Error(ErrorCode::kNotFound, "no " + streamName(session_id, stream));
  }
}

void PostgresStore::closeStream(const std::string& session_id, StreamId stream, StreamState final_state) {
  const int64_t now = nowMillis();
  write([&](PgConnection& c) { markStreamClosed(c, session_id, stream, final_state, now); });
}

std::optional<Stream> PostgresStore::stream(const std::string& session_id, StreamId stream) const {
  return read("reading " + streamName(session_id, stream), [&](PgConnection& c) -> std::optional<Stream> {
    const PgResult r = c.query(std::string("SELECT ") + kStreamColumns +
                                   " FROM streams WHERE id = $1 AND session_id = $2",
                               {stream, session_id});
    if (r.rows() == 0) return std::nullopt;
    return readStream(r, 0);
  });
}

std::vector<Stream> PostgresStore::streams(const std::string& session_id) const {
  return read("listing the streams of '" + session_id + "'", [&](PgConnection& c) {
    return streamRows(c.query(std::string("SELECT ") + kStreamColumns +
                                  " FROM streams WHERE session_id = $1 ORDER BY id",
                              {session_id}));
  });
}

std::vector<Stream> PostgresStore::openRequestStreams() const {
  return read("listing open request streams", [&](PgConnection& c) {
    return streamRows(c.query(std::string("SELECT ") + kStreamColumns +
                              " FROM streams WHERE state = 'open' AND kind = 'request' ORDER BY id"));
  });
}

int64_t PostgresStore::insertEvent(PgConnection& c, const std::string& session_id, StreamId stream,
                                   const std::string& type, const std::string& data, int64_t now) {
  try {
    const PgResult r = c.query(
        "INSERT INTO events (session_id, stream_id, type, data, created_at) "
        "VALUES ($1, $2, $3, $4, $5) RETURNING seq",
        {session_id, stream, type, data, now});
    c.noteChanged(session_id);
    return r.int64(0, 0);
  } catch (const PgError& e) {
    const std::string name = streamName(session_id, stream);
    if (e.sqlstate == "MKNSE") throw Error(ErrorCode::kNotFound, noSuchSession(session_id));
    if (e.sqlstate == "MKNST") throw Error(ErrorCode::kNotFound, "appending: no " + name);
    if (e.sqlstate == "MKCLS") {
      throw Error(ErrorCode::kStreamClosed,
                  "appending to " + name + ": the stream is " + e.detail + "; open a new stream");
    }
    if (e.sqlstate == "22P02" || e.sqlstate == "22025" || e.sqlstate == "22021") {
      throw Error(ErrorCode::kInvalidArgument, "appending to " + name +
                                                   ": event data is not valid JSON text (" +
                                                   e.what() + ")");
    }
    throw;
  }
}

Event PostgresStore::appendEvent(const std::string& session_id, StreamId stream,
                                 const std::string& type, const std::string& data,
                                 std::optional<StreamState> then_close) {
  const int64_t now = nowMillis();
  int64_t seq = 0;
  write([&](PgConnection& c) {
    seq = insertEvent(c, session_id, stream, type, data, now);
    if (then_close) markStreamClosed(c, session_id, stream, *then_close, now);
  });
  ++appends_;
  return storedEvent(session_id, stream, seq, type, data, now);
}

Event PostgresStore::openAndAnswer(const std::string& session_id, const std::string& request_ids_json,
                                   const std::string& type, const std::string& data) {
  const int64_t now = nowMillis();
  StreamId stream = 0;
  int64_t seq = 0;
  write([&](PgConnection& c) {
    stream = insertRequestStream(c, session_id, request_ids_json, now);
    seq = insertEvent(c, session_id, stream, type, data, now);
    markStreamClosed(c, session_id, stream, StreamState::kCompleted, now);
  });
  ++appends_;
  return storedEvent(session_id, stream, seq, type, data, now);
}

int64_t PostgresStore::broadcast(const std::string& type, const std::string& data) {
  const int64_t now = nowMillis();
  int64_t reached = 0;
  write([&](PgConnection& c) {
    try {
      c.query("SELECT $1::json", {data});
    } catch (const PgError& e) {
      if (e.sqlstate.rfind("22", 0) != 0) throw;
      throw Error(ErrorCode::kInvalidArgument, "broadcast: event data is not valid JSON text");
    }
    // In session order, so two broadcasts lock the sessions' rows in one order.
    reached = c.query(
        "INSERT INTO events (session_id, stream_id, type, data, created_at) "
        "SELECT session_id, id, $1::text, $2::json, $3::bigint FROM streams "
        "WHERE kind = 'standalone' AND state = 'open' ORDER BY session_id",
        {type, data, now}).affected();
    c.noteEverythingChanged();
  });
  appends_ += reached;
  return reached;
}

Replay PostgresStore::eventsAfter(const std::string& session_id, EventId after, std::size_t limit) const {
  return read("replaying after " + after.toString() + " for session '" + session_id + "'",
              [&](PgConnection& c) {
    // One snapshot: the stream's state and its events agree, so a closed
    // stream's events are all here.
    Snapshot snapshot(c);
    Replay replay;
    const PgResult s = c.query(std::string("SELECT ") + kStreamColumns +
                                   ", (SELECT last_seq FROM sessions WHERE id = session_id) "
                                   "FROM streams WHERE id = $1 AND session_id = $2",
                               {after.stream, session_id});
    if (s.rows() == 0) {
      requireSession(c, session_id);
      // Same answer for another session's stream and no stream at all.
      throw Error(ErrorCode::kInvalidEventId,
                  "event id " + after.toString() + " is not of a stream of session '" + session_id +
                      "' (or its stream ended and expired)");
    }
    replay.stream = readStream(s, 0);
    const int64_t last_seq = s.int64(0, 8);
    if (after.seq > last_seq) {
      throw Error(ErrorCode::kInvalidEventId, "event id " + after.toString() +
                                                  " is past the last event of session '" +
                                                  session_id + "'");
    }
    const PgResult e = c.query(std::string("SELECT ") + kEventColumns +
                                   " FROM events WHERE stream_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
                               {after.stream, after.seq,
                                limit == Store::kNoLimit ? PgParam(std::nullopt)
                                                         : PgParam(static_cast<int64_t>(limit))});
    for (int i = 0; i < e.rows(); ++i) replay.events.push_back(readEvent(e, i));
    replay.gap = replay.stream.evicted_through > after.seq;
    replay.session_last_seq = last_seq;
    return replay;
  });
}

std::vector<Event> PostgresStore::events(const std::string& session_id) const {
  return read("reading the events of '" + session_id + "'", [&](PgConnection& c) {
    const PgResult r = c.query(std::string("SELECT ") + kEventColumns +
                                   " FROM events WHERE session_id = $1 ORDER BY seq",
                               {session_id});
    std::vector<Event> all;
    for (int i = 0; i < r.rows(); ++i) all.push_back(readEvent(r, i));
    if (all.empty()) requireSession(c, session_id);
    return all;
  });
}

int64_t PostgresStore::eventCount(const std::string& session_id) const {
  return read("counting the events of '" + session_id + "'", [&](PgConnection& c) {
    const int64_t n = c.query("SELECT count(*) FROM events WHERE session_id = $1", {session_id}).int64(0, 0);
    if (n == 0) requireSession(c, session_id);
    return n;
  });
}

void PostgresStore::clearEvents(const std::string& session_id) {
  write([&](PgConnection& c) {
    if (c.query("DELETE FROM events WHERE session_id = $1", {session_id}).affected() == 0) {
      requireSession(c, session_id);
    }
    c.noteChanged(session_id);
  });
}

}  // namespace mcpkeep::store
