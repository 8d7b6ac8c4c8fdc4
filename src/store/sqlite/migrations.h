// Schema migrations: migrations/NNNN_name.sql, embedded at build time,
// applied in order, each in its own transaction, tracked by PRAGMA user_version.
#pragma once

#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>

namespace mcpkeep::store {

struct Migration {
  int version;       // NNNN of the file name; 1, 2, 3, ... without holes
  const char* name;  // file name without .sql
  const char* sql;
};

// The migrations compiled into this library (generated from migrations/).
const std::vector<Migration>& embeddedMigrations();

// Highest version in `migrations` (0 if none).
int latestVersion(const std::vector<Migration>& migrations);

// Throws Error(kNewerSchema) when a file at `version` is newer than `latest`.
void requireKnownVersion(int version, int latest, const std::string& path);

// Applies every migration newer than the database's user_version. Each runs in
// one IMMEDIATE transaction with its user_version bump, so a failing one
// leaves the file at the previous version. Throws mcpkeep::Error (kNewerSchema
// when the file is newer than `migrations`; the SQLite cause otherwise).
void migrate(SQLite::Database& db, const std::string& path,
             const std::vector<Migration>& migrations);

}  // namespace mcpkeep::store
