#include "store/sqlite/migrations.h"

#include <SQLiteCpp/Transaction.h>

#include <mcpkeep/error.h>

#include "store/sqlite/sqlite_error.h"

namespace mcpkeep::store {

int latestVersion(const std::vector<Migration>& migrations) {
  return migrations.empty() ? 0 : migrations.back().version;
}

void requireKnownVersion(int version, int latest, const std::string& path) {
  if (version > latest) {
    throw Error(ErrorCode::kNewerSchema,
                path + " has schema version " + std::to_string(version) +
                    ", newer than this mcpkeep knows (" + std::to_string(latest) +
                    "); use a newer mcpkeep, or another file");
  }
}

void migrate(SQLite::Database& db, const std::string& path,
             const std::vector<Migration>& migrations) {
  for (std::size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version != static_cast<int>(i) + 1) {
      throw Error(ErrorCode::kInternal, std::string("migration ") + migrations[i].name +
                                            " is out of order: versions must be 1, 2, 3, ...");
    }
  }
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
