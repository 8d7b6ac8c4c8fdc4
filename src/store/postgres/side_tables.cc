// PostgresStore methods for what hangs off a session: resource
// subscriptions, and the gateway's upstream state and kept requests.
#include "store/postgres/pg_rows.h"
#include "store/postgres/postgres_store.h"
#include "store/unix_time.h"

namespace mcpkeep::store {

void PostgresStore::subscribeResource(const std::string& session_id, const std::string& uri) {
  if (uri.empty()) throw Error(ErrorCode::kInvalidArgument, "a resource subscription needs a uri");
  const int64_t now = nowMillis();
  write([&](PgConnection& c) {
    if (c.query("INSERT INTO resource_subscriptions (session_id, uri, created_at) "
                "SELECT id, $1::text, $2::bigint FROM sessions WHERE id = $3 ON CONFLICT DO NOTHING",
                {uri, now, session_id})
            .affected() == 0) {
      requireSession(c, session_id);  // 0 also when already subscribed
    }
  });
}

bool PostgresStore::unsubscribeResource(const std::string& session_id, const std::string& uri) {
  int64_t removed = 0;
  write([&](PgConnection& c) {
    removed = c.query("DELETE FROM resource_subscriptions WHERE session_id = $1 AND uri = $2",
                      {session_id, uri})
                  .affected();
  });
  return removed > 0;
}

std::vector<std::string> PostgresStore::resourceSubscribers(const std::string& uri) const {
  return read("reading the subscribers of '" + uri + "'", [&](PgConnection& c) {
    const PgResult r = c.query(
        "SELECT session_id FROM resource_subscriptions WHERE uri = $1 ORDER BY session_id", {uri});
    std::vector<std::string> sessions;
    for (int i = 0; i < r.rows(); ++i) sessions.push_back(r.text(i, 0));
    return sessions;
  });
}

std::vector<std::string> PostgresStore::resourceSubscriptions(const std::string& session_id) const {
  return read("reading the subscriptions of session " + session_id, [&](PgConnection& c) {
    const PgResult r = c.query(
        "SELECT uri FROM resource_subscriptions WHERE session_id = $1 ORDER BY uri", {session_id});
    std::vector<std::string> uris;
    for (int i = 0; i < r.rows(); ++i) uris.push_back(r.text(i, 0));
    return uris;
  });
}

void PostgresStore::setUpstreamState(const std::string& session_id, const Store::UpstreamState& state) {
  const int64_t now = nowMillis();
  write([&](PgConnection& c) {
    requireSession(c, session_id);
    try {
      c.query("INSERT INTO upstream_sessions (session_id, initialize_params, initialize_result, "
              "log_level, upstream_session_id, updated_at) VALUES ($1, $2, $3, $4, $5, $6) "
              "ON CONFLICT (session_id) DO UPDATE SET initialize_params = excluded.initialize_params, "
              "initialize_result = excluded.initialize_result, log_level = excluded.log_level, "
              "upstream_session_id = excluded.upstream_session_id, updated_at = excluded.updated_at",
              {session_id, state.initialize_params, state.initialize_result,
               state.log_level.empty() ? PgParam(std::nullopt) : PgParam(state.log_level),
               state.upstream_session_id.empty() ? PgParam(std::nullopt) : PgParam(state.upstream_session_id),
               now});
    } catch (const PgError& e) {
      if (e.sqlstate != "22P02") throw;
      throw Error(ErrorCode::kInvalidArgument,
                  "upstream state of session '" + session_id + "' is not valid JSON text");
    }
  });
}

std::optional<Store::UpstreamState> PostgresStore::upstreamState(const std::string& session_id) const {
  return read("reading the upstream state of session " + session_id,
              [&](PgConnection& c) -> std::optional<Store::UpstreamState> {
    const PgResult r = c.query(
        "SELECT initialize_params, initialize_result, coalesce(log_level, ''), "
        "coalesce(upstream_session_id, '') FROM upstream_sessions WHERE session_id = $1",
        {session_id});
    if (r.rows() == 0) return std::nullopt;
    return Store::UpstreamState{r.text(0, 0), r.text(0, 1), r.text(0, 2), r.text(0, 3)};
  });
}

void PostgresStore::keepRequest(const std::string& session_id, StreamId stream,
                                const std::string& request_json) {
  write([&](PgConnection& c) {
    if (c.query("INSERT INTO upstream_requests (stream_id, session_id, request) "
                "SELECT id, session_id, $1::json FROM streams "
                "WHERE id = $2 AND session_id = $3 AND state = 'open' "
                "ON CONFLICT (stream_id) DO UPDATE SET request = excluded.request",
                {request_json, stream, session_id})
            .affected() == 0) {
      throw Error(ErrorCode::kNotFound,
                  "no open stream " + std::to_string(stream) + " in session " + session_id);
    }
  });
}

std::vector<std::pair<Stream, std::string>> PostgresStore::keptRequests() const {
  return read("reading kept requests", [&](PgConnection& c) {
    const PgResult r = c.query(std::string("SELECT ") + kStreamColumns +
                               ", (SELECT request FROM upstream_requests WHERE stream_id = streams.id) FROM streams "
                               "WHERE state = 'open' AND id IN (SELECT stream_id FROM upstream_requests) "
                               "ORDER BY id");
    std::vector<std::pair<Stream, std::string>> kept;
    for (int i = 0; i < r.rows(); ++i) kept.emplace_back(readStream(r, i), r.text(i, 8));
    return kept;
  });
}

}  // namespace mcpkeep::store
