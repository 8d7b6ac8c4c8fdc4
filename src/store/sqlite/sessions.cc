// Store methods for sessions: create, read, touch, initialize, update,
// remove, expire, count, list.
#include <mcpkeep/store.h>

#include <sqlite3.h>

#include "store/sqlite/rows.h"
#include "store/session_id.h"
#include "store/sqlite/sqlite_store.h"
#include "store/unix_time.h"

namespace mcpkeep::store {
namespace {

using store::Connection;

void bindOptionalJson(SQLite::Statement& s, int index, const std::optional<std::string>& json) {
  if (json && !json->empty()) {
    s.bind(index, *json);
  } else {
    s.bind(index);
  }
}

// Writes the fields of `s` a caller may change.
void writeSession(Connection& c, const Session& s) {
  auto q = c.query(
      "UPDATE sessions SET last_active = ?, initialized = ?, protocol_version = ?, "
      "client_capabilities = ?, client_info = ? WHERE id = ?");
  q->bind(1, store::toUnixMillis(s.last_active));
  q->bind(2, s.initialized ? 1 : 0);
  if (s.protocol_version.empty()) {
    q->bind(3);
  } else {
    q->bind(3, s.protocol_version);
  }
  bindOptionalJson(*q, 4, s.client_capabilities);
  bindOptionalJson(*q, 5, s.client_info);
  q->bind(6, s.id);
  try {
    q->exec();
  } catch (const SQLite::Exception& e) {
    if (e.getErrorCode() != SQLITE_CONSTRAINT) throw;
    throw Error(ErrorCode::kInvalidArgument,
                "client capabilities or client info of session '" + s.id +
                    "' is not valid JSON text");
  }
}

std::optional<Session> findSession(Connection& c, const std::string& session_id) {
  auto q = c.query(std::string("SELECT ") + store::kSessionColumns + " FROM sessions WHERE id = ?");
  q->bind(1, session_id);
  if (!q->executeStep()) return std::nullopt;
  return store::readSession(*q);
}

}  // namespace

Session SqliteStore::createSession() {
  Session s;
  s.id = store::newSessionId();
  s.created_at = s.last_active = store::fromUnixMillis(store::toUnixMillis(now()));
  writer->write([&](Connection& c) {
    auto session = c.query("INSERT INTO sessions (id, created_at, last_active) VALUES (?, ?, ?)");
    session->bind(1, s.id);
    session->bind(2, store::toUnixMillis(s.created_at));
    session->bind(3, store::toUnixMillis(s.last_active));
    session->exec();
    auto standalone =
        c.query("INSERT INTO streams (session_id, kind, created_at) VALUES (?, 'standalone', ?)");
    standalone->bind(1, s.id);
    standalone->bind(2, store::toUnixMillis(s.created_at));
    standalone->exec();
  });
  return s;
}

std::optional<Session> SqliteStore::session(const std::string& session_id) const {
  return read("reading session '" + session_id + "'",
                     [&](Connection& c) { return findSession(c, session_id); });
}

void SqliteStore::touchSession(const std::string& session_id) {
  const int64_t now = toUnixMillis(this->now());
  writer->write([&](Connection& c) {
    auto q = c.query("UPDATE sessions SET last_active = max(last_active, ?) WHERE id = ?");
    q->bind(1, now);
    q->bind(2, session_id);
    if (q->exec() == 0) throw Error(ErrorCode::kNotFound, noSuchSession(session_id));
  });
}

void SqliteStore::updateSession(const std::string& session_id,
                          const std::function<void(Session&)>& change) {
  writer->write([&](Connection& c) {
    std::optional<Session> s = findSession(c, session_id);
    if (!s) throw Error(ErrorCode::kNotFound, noSuchSession(session_id));
    change(*s);
    s->id = session_id;  // the id is not the caller's to change
    writeSession(c, *s);
  });
}

bool SqliteStore::removeSession(const std::string& session_id) {
  bool removed = false;
  writer->write([&](Connection& c) {
    auto q = c.query("DELETE FROM sessions WHERE id = ?");
    q->bind(1, session_id);
    removed = q->exec() > 0;
  });
  return removed;
}

std::vector<std::string> SqliteStore::expireIdleSessions() {
  std::vector<std::string> expired;
  const int64_t now = toUnixMillis(this->now());
  writer->write([&](Connection& c) {
    expired.clear();  // a retried batch must not report twice
    auto q = c.query(
        "DELETE FROM sessions WHERE last_active <= ? - "
        "(SELECT value FROM settings WHERE name = 'session_timeout_ms') RETURNING id");
    q->bind(1, now);
    while (q->executeStep()) expired.push_back(q->getColumn(0).getString());
  });
  sessions_expired += static_cast<int64_t>(expired.size());
  return expired;
}

int64_t SqliteStore::sessionCount() const {
  return read("counting sessions", [](Connection& c) {
    auto q = c.query("SELECT value FROM counters WHERE name = 'sessions'");  // kept by triggers
    q->executeStep();
    return q->getColumn(0).getInt64();
  });
}

std::string SqliteStore::requestStateKey() const {
  return read("reading the requestState key", [](Connection& c) {
    auto q = c.query("SELECT key FROM request_state_key WHERE id = 1");
    if (!q->executeStep()) throw Error(ErrorCode::kInternal, "the requestState key is missing");
    const SQLite::Column key = q->getColumn(0);
    return std::string(static_cast<const char*>(key.getBlob()), static_cast<std::size_t>(key.getBytes()));
  });
}

std::vector<Session> SqliteStore::sessions() const {
  return read("listing sessions", [](Connection& c) {
    std::vector<Session> all;
    auto q = c.query(std::string("SELECT ") + store::kSessionColumns +
                     " FROM sessions ORDER BY created_at, id");
    while (q->executeStep()) all.push_back(store::readSession(*q));
    return all;
  });
}

}  // namespace mcpkeep::store
