// PostgresStore: opening (connect, migrate under an advisory lock),
// retention settings, the maintenance job, counters, and the change feed.
#include "store/postgres/postgres_store.h"

#include "log/log.h"
#include "store/migration.h"
#include "store/postgres/pg_rows.h"
#include "store/session_id.h"
#include "store/unix_time.h"

namespace mcpkeep::store {
namespace {

// pg_advisory_xact_lock keys: one migration at a time, one maintenance run
// at a time across replicas.
constexpr int64_t kMigrationLock = 0x6d63706b00000001;   // "mcpk" 1
constexpr int64_t kMaintenanceLock = 0x6d63706b00000002; // "mcpk" 2

void migrate(PgConnection& c, const std::vector<Migration>& migrations) {
  requireInOrder(migrations);
  c.exec("BEGIN");
  try {
    c.query("SELECT pg_advisory_xact_lock($1)", {kMigrationLock});
    c.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        "version integer PRIMARY KEY, name text NOT NULL, "
        "applied_at timestamptz NOT NULL DEFAULT now())");
    const int current = static_cast<int>(
        c.query("SELECT coalesce(max(version), 0) FROM schema_migrations").int64(0, 0));
    requireKnownVersion(current, latestVersion(migrations), c.name());
    for (const Migration& m : migrations) {
      if (m.version <= current) continue;
      c.exec(m.sql);
      c.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", {m.version, m.name});
    }
    c.exec("COMMIT");
  } catch (...) {
    c.rollbackWrite();
    throw;
  }
}

void writeRetention(PgConnection& c, const Retention& r) {
  for (const auto& [name, value] : retentionSettings(r)) {
    c.query("UPDATE settings SET value = $1 WHERE name = $2", {value, name});
  }
}

}  // namespace

PostgresStore::PostgresStore(const std::string& conninfo, StoreOptions options)
    : name_(redactedConninfo(conninfo)), options_(std::move(options)), replica_id_(newSessionId()) {
  auto writer = std::make_unique<PgConnection>(conninfo);
  try {
    migrate(*writer, embeddedPostgresMigrations());
  } catch (const PgError& e) {
    throw translatePgError(e, "migrating " + name_);
  }
  writer_ = std::make_unique<GroupCommit<PgConnection>>(std::move(writer), options_.max_batch,
                                                        std::chrono::microseconds(0));
  readers_ = std::make_unique<ConnectionPool<PgConnection>>(
      [conninfo] { return std::make_unique<PgConnection>(conninfo); }, options_.max_readers);
  listener_ = std::make_unique<PgListener>(conninfo, replica_id_);
  if (options_.retention) setRetention(*options_.retention);
  renewLease();
}

PostgresStore::~PostgresStore() {
  try {
    write([&](PgConnection& c) { c.query("DELETE FROM replicas WHERE id = $1", {replica_id_}); });
  } catch (const std::exception& e) {
    // Its lease runs out instead.
    log::warning("mcpkeep.store", "leaving the replicas table failed", {{"error", e.what()}});
  }
}

void PostgresStore::renewLease() {
  write([&](PgConnection& c) {
    c.query("INSERT INTO replicas (id, started_at, lease_until) VALUES ($1, now_ms(), now_ms() + $2) "
            "ON CONFLICT (id) DO UPDATE SET lease_until = excluded.lease_until",
            {replica_id_, static_cast<int64_t>(options_.replica_lease.count())});
  });
}

void PostgresStore::describeReplica(const std::string& description) {
  write([&](PgConnection& c) {
    c.query("UPDATE replicas SET description = $1 WHERE id = $2", {description, replica_id_});
  });
}

std::vector<Stream> PostgresStore::claimOrphanedStreams(bool others_dead) {
  std::vector<Stream> claimed;
  write([&](PgConnection& c) {
    claimed.clear();  // a retried write must not report twice
    // Rows another replica is claiming right now are skipped (SKIP LOCKED):
    // once it commits they are its own, so each stream has one claimer.
    const PgResult r = c.query(
        std::string("UPDATE streams SET owner = $1 WHERE id IN (SELECT id FROM streams "
                    "WHERE kind = 'request' AND state = 'open' "
                    "AND (owner IS NULL OR (owner <> $1 AND ($2 OR NOT EXISTS "
                    "(SELECT 1 FROM replicas r WHERE r.id = streams.owner AND r.lease_until > now_ms())))) "
                    "FOR UPDATE SKIP LOCKED) RETURNING ") + kStreamColumns,
        {replica_id_, others_dead});
    for (int i = 0; i < r.rows(); ++i) claimed.push_back(readStream(r, i));
    c.query("DELETE FROM replicas WHERE id <> $1 AND ($2 OR lease_until <= now_ms())", {replica_id_, others_dead});
    c.query("DELETE FROM replica_messages WHERE replica NOT IN (SELECT id FROM replicas)");
  });
  return claimed;
}

int64_t PostgresStore::nowMillis() const { return toUnixMillis(options_.clock()); }

void PostgresStore::requireSession(PgConnection& c, const std::string& session_id) {
  if (c.query("SELECT 1 FROM sessions WHERE id = $1", {session_id}).rows() == 0) {
    throw Error(ErrorCode::kNotFound, noSuchSession(session_id));
  }
}

Retention PostgresStore::retention() const {
  return read("reading retention settings", [](PgConnection& c) {
    Retention r;
    const PgResult rows = c.query("SELECT name, value FROM settings");
    for (int i = 0; i < rows.rows(); ++i) readRetentionSetting(r, rows.text(i, 0), rows.int64(i, 1));
    return r;
  });
}

void PostgresStore::setRetention(const Retention& retention) {
  write([&](PgConnection& c) { writeRetention(c, retention); });
}

WriteStats PostgresStore::writeStats() const {
  WriteStats s = writer_->stats();
  s.appends = appends_.load();
  s.sessions_expired = sessions_expired_.load();
  return s;
}

MaintenanceReport PostgresStore::runMaintenance() {
  MaintenanceReport report;
  const int64_t now = nowMillis();
  write([&](PgConnection& c) {
    report = MaintenanceReport();  // a retried write must not report twice
    // One replica at a time; the others find the lock taken and skip.
    if (!c.query("SELECT pg_try_advisory_xact_lock($1)", {kMaintenanceLock}).boolean(0, 0)) return;
    report.events_expired =
        c.query("DELETE FROM events WHERE created_at < $1 - "
                "(SELECT value FROM settings WHERE name = 'max_age_ms')", {now}).affected();
    // Nothing is left to replay from these; their rows would pile up.
    report.streams_pruned =
        c.query("DELETE FROM streams WHERE kind = 'request' AND state <> 'open' AND closed_at < $1 - "
                "(SELECT value FROM settings WHERE name = 'max_age_ms') "
                "AND NOT EXISTS (SELECT 1 FROM events WHERE events.stream_id = streams.id)", {now})
            .affected();
    // A task is kept for its ttl from creation (the client was told so), then goes.
    report.tasks_expired =
        c.query("DELETE FROM tasks WHERE ttl_ms IS NOT NULL AND created_at + ttl_ms < $1", {now})
            .affected();
    const PgResult expired = c.query(
        "DELETE FROM sessions WHERE last_active <= $1 - "
        "(SELECT value FROM settings WHERE name = 'session_timeout_ms') RETURNING id", {now});
    for (int i = 0; i < expired.rows(); ++i) report.sessions_expired.push_back(expired.text(i, 0));
    if (report.events_expired > 0 || !report.sessions_expired.empty()) c.noteEverythingChanged();
  });
  sessions_expired_ += static_cast<int64_t>(report.sessions_expired.size());
  // Space is PostgreSQL's autovacuum's to reclaim; statistics its analyze's.
  return report;
}

bool PostgresStore::leaveForStreamOwner(const std::string& session_id, StreamId stream,
                                        const std::string& message) {
  int64_t left = 0;
  const int64_t now = nowMillis();
  write([&](PgConnection& c) {
    const PgResult r = c.query("INSERT INTO replica_messages (replica, session_id, message, created_at) "
                               "SELECT owner, session_id, $1::json, $2::bigint FROM streams "
                               "WHERE id = $3 AND session_id = $4 AND state = 'open' AND owner <> $5 "
                               "RETURNING replica",
                               {message, now, stream, session_id, replica_id_});
    left = r.rows();
    if (left > 0) c.noteMessagesFor(r.text(0, 0));  // the owner's inbox looks
  });
  return left > 0;
}

std::vector<std::pair<std::string, std::string>> PostgresStore::takeMessages() {
  std::vector<std::pair<std::string, std::string>> taken;
  // Looked for first on a read connection: there is seldom anything.
  const bool any = read("looking for messages left for this replica", [&](PgConnection& c) {
    return c.query("SELECT 1 FROM replica_messages WHERE replica = $1 LIMIT 1", {replica_id_}).rows() > 0;
  });
  if (!any) return taken;
  write([&](PgConnection& c) {
    taken.clear();  // a retried write must not report twice
    const PgResult r = c.query(
        "WITH gone AS (DELETE FROM replica_messages WHERE replica = $1 RETURNING id, session_id, message) "
        "SELECT session_id, message FROM gone ORDER BY id",
        {replica_id_});
    for (int i = 0; i < r.rows(); ++i) taken.emplace_back(r.text(i, 0), r.text(i, 1));
  });
  return taken;
}

Store::Changes PostgresStore::changesSince(Store::ChangeMark& mark) {
  return listener_->changesSince(mark);
}

uint64_t PostgresStore::watchChanges(std::function<void()> wake) {
  return listener_->watch(std::move(wake));
}

void PostgresStore::unwatchChanges(uint64_t handle) { listener_->unwatch(handle); }

}  // namespace mcpkeep::store
