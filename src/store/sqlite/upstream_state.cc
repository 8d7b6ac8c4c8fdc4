// Store methods for the gateway's per-session upstream state (table
// upstream_sessions): opaque JSON text to the store.
#include <mcpkeep/store.h>

#include "store/sqlite/rows.h"
#include "store/sqlite/sqlite_store.h"
#include "store/unix_time.h"

namespace mcpkeep::store {
using store::Connection;

void SqliteStore::setUpstreamState(const std::string& session_id, const Store::UpstreamState& state) {
  const int64_t now = toUnixMillis(this->now());
  writer->write([&](Connection& c) {
    requireSession(c, session_id);
    auto q = c.query(
        "INSERT OR REPLACE INTO upstream_sessions (session_id, initialize_params, initialize_result, "
        "log_level, upstream_session_id, updated_at) VALUES (?, ?, ?, ?, ?, ?)");
    q->bind(1, session_id);
    q->bind(2, state.initialize_params);
    q->bind(3, state.initialize_result);
    if (state.log_level.empty()) q->bind(4); else q->bind(4, state.log_level);
    if (state.upstream_session_id.empty()) q->bind(5); else q->bind(5, state.upstream_session_id);
    q->bind(6, now);
    q->exec();
  });
}

std::optional<Store::UpstreamState> SqliteStore::upstreamState(const std::string& session_id) const {
  return read("reading the upstream state of session " + session_id,
                     [&](Connection& c) -> std::optional<Store::UpstreamState> {
    auto q = c.query(
        "SELECT initialize_params, initialize_result, ifnull(log_level, ''), ifnull(upstream_session_id, '') "
        "FROM upstream_sessions WHERE session_id = ?");
    q->bind(1, session_id);
    if (!q->executeStep()) return std::nullopt;
    return Store::UpstreamState{q->getColumn(0).getString(), q->getColumn(1).getString(), q->getColumn(2).getString(),
                         q->getColumn(3).getString()};
  });
}

void SqliteStore::keepRequest(const std::string& session_id, StreamId stream, const std::string& request_json) {
  writer->write([&](Connection& c) {
    auto q = c.query(
        "INSERT OR REPLACE INTO upstream_requests (stream_id, session_id, request) "
        "SELECT id, session_id, ? FROM streams WHERE id = ? AND session_id = ? AND state = 'open'");
    q->bind(1, request_json);
    q->bind(2, stream);
    q->bind(3, session_id);
    if (q->exec() == 0) {
      throw Error(ErrorCode::kNotFound, "no open stream " + std::to_string(stream) + " in session " + session_id);
    }
  });
}

std::vector<std::pair<Stream, std::string>> SqliteStore::keptRequests() const {
  return read("reading kept requests", [&](Connection& c) {
    std::vector<std::pair<Stream, std::string>> kept;
    auto q = c.query(std::string("SELECT ") + store::kStreamColumns +
                     ", (SELECT request FROM upstream_requests WHERE stream_id = streams.id) FROM streams "
                     "WHERE state = 'open' AND id IN (SELECT stream_id FROM upstream_requests) ORDER BY id");
    while (q->executeStep()) {
      kept.emplace_back(store::readStream(*q), q->getColumn(q->getColumnCount() - 1).getString());
    }
    return kept;
  });
}

}  // namespace mcpkeep::store
