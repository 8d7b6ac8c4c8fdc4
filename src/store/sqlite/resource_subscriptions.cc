// Store methods for resource subscriptions: which sessions want
// notifications/resources/updated for which URI.
#include <mcpkeep/store.h>

#include "store/sqlite/sqlite_store.h"
#include "store/unix_time.h"

namespace mcpkeep::store {
using store::Connection;

void SqliteStore::subscribeResource(const std::string& session_id, const std::string& uri) {
  if (uri.empty()) throw Error(ErrorCode::kInvalidArgument, "a resource subscription needs a uri");
  const int64_t now = toUnixMillis(this->now());
  writer->write([&](Connection& c) {
    auto q = c.query(
        "INSERT OR IGNORE INTO resource_subscriptions (session_id, uri, created_at) "
        "SELECT id, ?, ? FROM sessions WHERE id = ?");
    q->bind(1, uri);
    q->bind(2, now);
    q->bind(3, session_id);
    if (q->exec() == 0) requireSession(c, session_id);  // 0 also when already subscribed
  });
}

bool SqliteStore::unsubscribeResource(const std::string& session_id, const std::string& uri) {
  int removed = 0;
  writer->write([&](Connection& c) {
    auto q = c.query("DELETE FROM resource_subscriptions WHERE session_id = ? AND uri = ?");
    q->bind(1, session_id);
    q->bind(2, uri);
    removed = q->exec();
  });
  return removed > 0;
}

std::vector<std::string> SqliteStore::resourceSubscribers(const std::string& uri) const {
  return read("reading the subscribers of '" + uri + "'", [&](Connection& c) {
    std::vector<std::string> sessions;
    auto q = c.query("SELECT session_id FROM resource_subscriptions WHERE uri = ? ORDER BY session_id");
    q->bind(1, uri);
    while (q->executeStep()) sessions.push_back(q->getColumn(0).getString());
    return sessions;
  });
}

std::vector<std::string> SqliteStore::resourceSubscriptions(const std::string& session_id) const {
  return read("reading the subscriptions of session " + session_id, [&](Connection& c) {
    std::vector<std::string> uris;
    auto q = c.query("SELECT uri FROM resource_subscriptions WHERE session_id = ? ORDER BY uri");
    q->bind(1, session_id);
    while (q->executeStep()) uris.push_back(q->getColumn(0).getString());
    return uris;
  });
}

}  // namespace mcpkeep::store
