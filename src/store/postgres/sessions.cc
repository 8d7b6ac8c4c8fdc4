// PostgresStore methods for sessions: create, read, touch, initialize,
// update, remove, expire, count, list; and the requestState key.
#include "store/postgres/pg_rows.h"
#include "store/postgres/postgres_store.h"
#include "store/session_id.h"
#include "store/unix_time.h"

namespace mcpkeep::store {
namespace {

// The session's row, locked until the write transaction ends.
std::optional<Session> lockedSession(PgConnection& c, const std::string& session_id) {
  const PgResult r = c.query(std::string("SELECT ") + kSessionColumns +
                                 " FROM sessions WHERE id = $1 FOR UPDATE",
                             {session_id});
  if (r.rows() == 0) return std::nullopt;
  return readSession(r, 0);
}

// Writes the fields of `s` a caller may change.
void writeSession(PgConnection& c, const Session& s) {
  try {
    c.query(
        "UPDATE sessions SET last_active = $1, initialized = $2, protocol_version = $3, "
        "client_capabilities = $4, client_info = $5 WHERE id = $6",
        {toUnixMillis(s.last_active), s.initialized,
         s.protocol_version.empty() ? PgParam(std::nullopt) : PgParam(s.protocol_version),
         s.client_capabilities && !s.client_capabilities->empty() ? PgParam(*s.client_capabilities)
                                                                  : PgParam(std::nullopt),
         s.client_info && !s.client_info->empty() ? PgParam(*s.client_info) : PgParam(std::nullopt),
         s.id});
  } catch (const PgError& e) {
    if (e.sqlstate != "22P02") throw;
    throw Error(ErrorCode::kInvalidArgument, "client capabilities or client info of session '" +
                                                 s.id + "' is not valid JSON text");
  }
}

}  // namespace

Session PostgresStore::createSession() {
  Session s;
  s.id = newSessionId();
  const int64_t now = nowMillis();
  s.created_at = s.last_active = fromUnixMillis(now);
  write([&](PgConnection& c) {
    c.query("INSERT INTO sessions (id, created_at, last_active) VALUES ($1, $2, $2)", {s.id, now});
    c.query("INSERT INTO streams (session_id, kind, created_at) VALUES ($1, 'standalone', $2)",
            {s.id, now});
  });
  return s;
}

std::optional<Session> PostgresStore::session(const std::string& session_id) const {
  return read("reading session '" + session_id + "'", [&](PgConnection& c) -> std::optional<Session> {
    const PgResult r = c.query(std::string("SELECT ") + kSessionColumns + " FROM sessions WHERE id = $1",
                               {session_id});
    if (r.rows() == 0) return std::nullopt;
    return readSession(r, 0);
  });
}

void PostgresStore::touchSession(const std::string& session_id) {
  const int64_t now = nowMillis();
  write([&](PgConnection& c) {
    if (c.query("UPDATE sessions SET last_active = greatest(last_active, $1) WHERE id = $2",
                {now, session_id})
            .affected() == 0) {
      throw Error(ErrorCode::kNotFound, noSuchSession(session_id));
    }
  });
}

void PostgresStore::updateSession(const std::string& session_id,
                                  const std::function<void(Session&)>& change) {
  write([&](PgConnection& c) {
    std::optional<Session> s = lockedSession(c, session_id);
    if (!s) throw Error(ErrorCode::kNotFound, noSuchSession(session_id));
    change(*s);
    s->id = session_id;  // the id is not the caller's to change
    writeSession(c, *s);
  });
}

bool PostgresStore::removeSession(const std::string& session_id) {
  bool removed = false;
  write([&](PgConnection& c) {
    removed = c.query("DELETE FROM sessions WHERE id = $1", {session_id}).affected() > 0;
    if (removed) c.noteChanged(session_id);
  });
  return removed;
}

std::vector<std::string> PostgresStore::expireIdleSessions() {
  std::vector<std::string> expired;
  const int64_t now = nowMillis();
  write([&](PgConnection& c) {
    expired.clear();  // a retried write must not report twice
    const PgResult r = c.query(
        "DELETE FROM sessions WHERE last_active <= $1 - "
        "(SELECT value FROM settings WHERE name = 'session_timeout_ms') RETURNING id",
        {now});
    for (int i = 0; i < r.rows(); ++i) {
      expired.push_back(r.text(i, 0));
      c.noteChanged(expired.back());
    }
  });
  sessions_expired_ += static_cast<int64_t>(expired.size());
  return expired;
}

int64_t PostgresStore::sessionCount() const {
  return read("counting sessions", [](PgConnection& c) {
    return c.query("SELECT value FROM counters WHERE name = 'sessions'").int64(0, 0);  // kept by triggers
  });
}

std::vector<Session> PostgresStore::sessions() const {
  return read("listing sessions", [](PgConnection& c) {
    std::vector<Session> all;
    const PgResult r = c.query(std::string("SELECT ") + kSessionColumns +
                               " FROM sessions ORDER BY created_at, id");
    for (int i = 0; i < r.rows(); ++i) all.push_back(readSession(r, i));
    return all;
  });
}

std::string PostgresStore::requestStateKey() const {
  return read("reading the requestState key", [](PgConnection& c) {
    const PgResult r = c.query("SELECT encode(key, 'hex') FROM request_state_key WHERE id = 1");
    if (r.rows() == 0) throw Error(ErrorCode::kInternal, "the requestState key is missing");
    const std::string hex = r.text(0, 0);
    std::string key;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
      key.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    }
    return key;
  });
}

}  // namespace mcpkeep::store
