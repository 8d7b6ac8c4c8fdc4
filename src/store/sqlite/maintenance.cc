// The maintenance job: age retention, idle-session expiry, incremental
// vacuum, WAL checkpoint and optimize.
#include <mcpkeep/store.h>

#include "store/sqlite/sqlite_store.h"
#include "store/unix_time.h"

namespace mcpkeep::store {

MaintenanceReport SqliteStore::runMaintenance() {
  MaintenanceReport report;
  const int64_t now = toUnixMillis(this->now());
  writer->write([&](store::Connection& c) {
    auto q = c.query(
        "DELETE FROM events WHERE created_at < ? - "
        "(SELECT value FROM settings WHERE name = 'max_age_ms')");
    q->bind(1, now);
    report.events_expired = q->exec();
    // Nothing is left to replay from these; their rows would pile up.
    auto prune = c.query(
        "DELETE FROM streams WHERE kind = 'request' AND state != 'open' AND closed_at < ? - "
        "(SELECT value FROM settings WHERE name = 'max_age_ms') "
        "AND NOT EXISTS (SELECT 1 FROM events WHERE events.stream_id = streams.id)");
    prune->bind(1, now);
    report.streams_pruned = prune->exec();
    // A task is kept for its ttl from creation (the client was told so), then goes.
    auto tasks = c.query("DELETE FROM tasks WHERE ttl_ms IS NOT NULL AND created_at + ttl_ms < ?");
    tasks->bind(1, now);
    report.tasks_expired = tasks->exec();
  });
  report.sessions_expired = expireIdleSessions();
  writer->exclusive([](store::Connection& c) {
    // Give freed pages back, keep the WAL from growing without bound, and
    // let SQLite refresh the statistics its planner uses.
    c.db().exec("PRAGMA incremental_vacuum");
    c.db().exec("PRAGMA wal_checkpoint(TRUNCATE)");
    c.db().exec("PRAGMA optimize");
  });
  return report;
}

}  // namespace mcpkeep::store
