// Opening the writer connection: checks before any change, then pragmas,
// migrations, retention settings and crash recovery.
#pragma once

#include <memory>
#include <string>

#include <mcpkeep/options.h>

#include "store/sqlite/connection.h"
#include "store/sqlite/migrations.h"

namespace mcpkeep::store {

// Opens `path` for writing as described in Store::Store. Throws mcpkeep::Error.
std::unique_ptr<Connection> openWriter(const std::string& path, const StoreOptions& options,
                                       const std::vector<Migration>& migrations);

// Opens another connection to an already opened database, for reading only.
std::unique_ptr<Connection> openReader(const std::string& path, const StoreOptions& options);

// Opens another connection to an already opened database, for checkpoints.
std::unique_ptr<Connection> openCheckpointer(const std::string& path, const StoreOptions& options);

// Writes `retention` into the settings table (inside the caller's transaction).
void writeRetention(Connection& connection, const Retention& retention);

}  // namespace mcpkeep::store
