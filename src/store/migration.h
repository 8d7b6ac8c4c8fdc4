// Schema migrations of both backends: migrations/NNNN_name.sql (SQLite) and
// migrations/postgres/NNNN_name.sql (PostgreSQL), embedded at build time,
// applied in order, each in its own transaction.
#pragma once

#include <string>
#include <vector>

namespace mcpkeep::store {

struct Migration {
  int version;       // NNNN of the file name; 1, 2, 3, ... without holes
  const char* name;  // file name without .sql
  const char* sql;
};

// The migrations compiled into this library (generated from migrations/).
const std::vector<Migration>& embeddedMigrations();
const std::vector<Migration>& embeddedPostgresMigrations();

// Highest version in `migrations` (0 if none).
int latestVersion(const std::vector<Migration>& migrations);

// Throws Error(kInternal) unless the versions run 1, 2, 3, ...
void requireInOrder(const std::vector<Migration>& migrations);

// Throws Error(kNewerSchema) when a database at `version` is newer than `latest`.
void requireKnownVersion(int version, int latest, const std::string& where);

}  // namespace mcpkeep::store
