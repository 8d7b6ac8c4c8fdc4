// SqliteStore: opening the file (writer, checkpointer, readers), retention
// settings and counters.
#include "store/sqlite/sqlite_store.h"

#include "store/session_id.h"
#include "store/sqlite/open_database.h"

namespace mcpkeep::store {

SqliteStore::SqliteStore(const std::string& p, StoreOptions o)
    : path(p), options(std::move(o)), replica_id(newSessionId()) {
  auto writer_connection = openWriter(path, options, embeddedMigrations());
  sqlite3* const writer_handle = writer_connection->db().getHandle();
  writer = std::make_unique<GroupCommit<Connection>>(
      std::move(writer_connection), options.max_batch,
      options.durability == Durability::kFull ? options.commit_delay
                                              : std::chrono::microseconds(0));
  checkpointer = std::make_unique<Checkpointer>(openCheckpointer(path, options), writer_handle,
                                                kCheckpointStepPages, kCheckpointPages);
  readers = std::make_unique<ConnectionPool<Connection>>([this] { return openReader(path, options); },
                                         options.max_readers);
  renewLease();
}

void SqliteStore::requireSession(Connection& c, const std::string& session_id) {
  auto q = c.query("SELECT 1 FROM sessions WHERE id = ?");
  q->bind(1, session_id);
  if (!q->executeStep()) throw Error(ErrorCode::kNotFound, noSuchSession(session_id));
}

std::optional<std::string> SqliteStore::streamState(Connection& c, const std::string& session_id,
                                                    StreamId stream) {
  auto q = c.query("SELECT state FROM streams WHERE id = ? AND session_id = ?");
  q->bind(1, stream);
  q->bind(2, session_id);
  if (!q->executeStep()) return std::nullopt;
  return q->getColumn(0).getString();
}

Retention SqliteStore::retention() const {
  return read("reading retention settings", [](Connection& c) {
    Retention r;
    auto q = c.query("SELECT name, value FROM settings");
    while (q->executeStep()) readRetentionSetting(r, q->getColumn(0).getString(), q->getColumn(1).getInt64());
    return r;
  });
}

void SqliteStore::setRetention(const Retention& retention) {
  writer->write([&](Connection& c) { writeRetention(c, retention); });
}

WriteStats SqliteStore::writeStats() const {
  WriteStats s = writer->stats();
  s.appends = appends.load();
  s.sessions_expired = sessions_expired.load();
  return s;
}

}  // namespace mcpkeep::store
