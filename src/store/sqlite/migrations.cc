#include "store/sqlite/migrations.h"

#include <SQLiteCpp/Transaction.h>

#include <mcpkeep/error.h>

#include "store/sqlite/sqlite_error.h"

namespace mcpkeep::store {

void migrate(SQLite::Database& db, const std::string& path,
             const std::vector<Migration>& migrations) {
  requireInOrder(migrations);
  const int latest = latestVersion(migrations);
  const int current = db.execAndGet("PRAGMA user_version").getInt();
  requireKnownVersion(current, latest, path);
  for (const Migration& m : migrations) {
    if (m.version <= current) continue;
    try {
      SQLite::Transaction transaction(db, SQLite::TransactionBehavior::IMMEDIATE);
      db.exec(m.sql);
      db.exec("PRAGMA user_version = " + std::to_string(m.version));
      transaction.commit();
    } catch (const SQLite::Exception& e) {
      throw translateSqliteError(e, std::string("applying migration ") + m.name + " to " + path);
    }
  }
}

}  // namespace mcpkeep::store
