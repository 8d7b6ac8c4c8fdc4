// Applying SQLite migrations (store/migration.h), tracked by PRAGMA user_version.
#pragma once

#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>

#include "store/migration.h"

namespace mcpkeep::store {

// Applies every migration newer than the database's user_version. Each runs in
// one IMMEDIATE transaction with its user_version bump, so a failing one
// leaves the file at the previous version. Throws mcpkeep::Error (kNewerSchema
// when the file is newer than `migrations`; the SQLite cause otherwise).
void migrate(SQLite::Database& db, const std::string& path,
             const std::vector<Migration>& migrations);

}  // namespace mcpkeep::store
