// SqliteStore methods for replicas (migrations/0009_replicas.sql): the
// lease of this process, and claiming the streams of dead ones.
#include <algorithm>

#include "store/sqlite/rows.h"
#include "store/sqlite/sqlite_store.h"
#include "store/unix_time.h"

#include "log/log.h"

namespace mcpkeep::store {

void SqliteStore::renewLease() {
  const int64_t now = toUnixMillis(this->now());
  writer->write([&](Connection& c) {
    auto q = c.query(
        "INSERT INTO replicas (id, started_at, lease_until) VALUES (?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET lease_until = excluded.lease_until");
    q->bind(1, replica_id);
    q->bind(2, now);
    q->bind(3, now + static_cast<int64_t>(options.replica_lease.count()));
    q->exec();
  });
}

void SqliteStore::describeReplica(const std::string& description) {
  writer->write([&](Connection& c) {
    auto q = c.query("UPDATE replicas SET description = ? WHERE id = ?");
    q->bind(1, description);
    q->bind(2, replica_id);
    q->exec();
  });
}

std::vector<Stream> SqliteStore::claimOrphanedStreams(bool others_dead) {
  std::vector<Stream> claimed;
  const int64_t now = toUnixMillis(this->now());
  writer->write([&](Connection& c) {
    claimed.clear();  // a retried write must not report twice
    auto q = c.query(std::string(
        "UPDATE streams SET owner = ?1 WHERE kind = 'request' AND state = 'open' "
        "AND (owner IS NULL OR (owner <> ?1 AND (?2 OR NOT EXISTS "
        "(SELECT 1 FROM replicas r WHERE r.id = streams.owner AND r.lease_until > ?3)))) "
        "RETURNING ") + kStreamColumns);
    q->bind(1, replica_id);
    q->bind(2, others_dead ? 1 : 0);
    q->bind(3, now);
    while (q->executeStep()) claimed.push_back(readStream(*q));
    auto gone = c.query("DELETE FROM replicas WHERE id <> ?1 AND (?2 OR lease_until <= ?3)");
    gone->bind(1, replica_id);
    gone->bind(2, others_dead ? 1 : 0);
    gone->bind(3, now);
    gone->exec();
    c.query("DELETE FROM replica_messages WHERE replica NOT IN (SELECT id FROM replicas)")->exec();
  });
  return claimed;
}

bool SqliteStore::leaveForStreamOwner(const std::string& session_id, StreamId stream,
                                      const std::string& message) {
  int64_t left = 0;
  const int64_t now = toUnixMillis(this->now());
  writer->write([&](Connection& c) {
    auto q = c.query(
        "INSERT INTO replica_messages (replica, session_id, message, created_at) "
        "SELECT owner, session_id, ?, ? FROM streams "
        "WHERE id = ? AND session_id = ? AND state = 'open' AND owner <> ?");
    q->bind(1, message);
    q->bind(2, now);
    q->bind(3, stream);
    q->bind(4, session_id);
    q->bind(5, replica_id);
    left = q->exec();
  });
  return left > 0;
}

std::vector<std::pair<std::string, std::string>> SqliteStore::takeMessages() {
  std::vector<std::pair<std::string, std::string>> taken;
  // Looked for first on a read connection: there is seldom anything.
  const bool any = read("looking for messages left for this replica", [&](Connection& c) {
    auto q = c.query("SELECT 1 FROM replica_messages WHERE replica = ? LIMIT 1");
    q->bind(1, replica_id);
    return q->executeStep();
  });
  if (!any) return taken;
  writer->write([&](Connection& c) {
    taken.clear();  // a retried write must not report twice
    auto q = c.query("DELETE FROM replica_messages WHERE replica = ? RETURNING id, session_id, message");
    q->bind(1, replica_id);
    std::vector<std::pair<int64_t, std::pair<std::string, std::string>>> rows;
    while (q->executeStep()) {
      rows.push_back({q->getColumn(0).getInt64(), {q->getColumn(1).getString(), q->getColumn(2).getString()}});
    }
    std::sort(rows.begin(), rows.end());
    for (auto& row : rows) taken.push_back(std::move(row.second));
  });
  return taken;
}

SqliteStore::~SqliteStore() {
  try {
    writer->write([&](Connection& c) {
      auto q = c.query("DELETE FROM replicas WHERE id = ?");
      q->bind(1, replica_id);
      q->exec();
    });
  } catch (const std::exception& e) {
    // Its lease runs out instead.
    log::warning("mcpkeep.store", "leaving the replicas table failed", {{"error", e.what()}});
  }
}

}  // namespace mcpkeep::store
