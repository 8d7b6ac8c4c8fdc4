// Store::changesSince: PRAGMA data_version on a connection of its
// own says whether anyone committed; the events table's rowids say which
// sessions gained events. Everything else another connection may change (a
// stream closed, a session deleted) leaves no such trace, hence `everything`.
#include <mcpkeep/store.h>

#include "store/sqlite/open_database.h"
#include "store/sqlite/sqlite_store.h"

namespace mcpkeep::store {
namespace {

constexpr auto kEverythingAtLeastEvery = std::chrono::seconds(30);

int64_t dataVersion(store::Connection& c) {
  auto q = c.query("PRAGMA data_version");
  q->executeStep();
  return q->getColumn(0).getInt64();
}

int64_t lastEventRowid(store::Connection& c) {
  auto q = c.query("SELECT coalesce(max(id), 0) FROM events");
  q->executeStep();
  return q->getColumn(0).getInt64();
}

}  // namespace

Store::Changes SqliteStore::changesSince(Store::ChangeMark& mark) {
  std::lock_guard<std::mutex> lock(watch_mutex);
  try {
    if (!watch_connection) watch_connection = store::openReader(path, options);
    store::Connection& c = *watch_connection;
    // Read before data_version: a commit of ours landing in between then
    // looks like someone else's, which costs a look, never a miss.
    const uint64_t own = writer->transactions();
    const int64_t version = dataVersion(c);
    const auto now = std::chrono::steady_clock::now();
    Store::Changes changes;
    if (!mark.initialized) {
      mark.initialized = true;
      mark.last_event_rowid = lastEventRowid(c);
      mark.last_everything = now;
    } else if (version != mark.data_version) {
      const bool we_committed = own != mark.own_transactions;
      store::Connection::Transaction snapshot(c, "BEGIN");
      const int64_t last = lastEventRowid(c);
      if (last < mark.last_event_rowid) {
        changes.everything = true;  // the newest events were deleted: rowids may come again
      } else if (last > mark.last_event_rowid) {
        auto q = c.query("SELECT DISTINCT session_id FROM events WHERE id > ?");
        q->bind(1, mark.last_event_rowid);
        while (q->executeStep()) changes.sessions.push_back(q->getColumn(0).getString());
      }
      mark.last_event_rowid = last;
      if (!we_committed && changes.sessions.empty()) changes.everything = true;
      mark.unexplained = true;
    }
    mark.data_version = version;
    mark.own_transactions = own;
    if (mark.unexplained && now - mark.last_everything >= kEverythingAtLeastEvery) changes.everything = true;
    if (changes.everything) {
      mark.unexplained = false;
      mark.last_everything = now;
    }
    return changes;
  } catch (const SQLite::Exception& e) {
    throw store::translateSqliteError(e, "looking for changes in " + path);
  }
}

}  // namespace mcpkeep::store
