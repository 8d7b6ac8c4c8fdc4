// The backend a test runs on: the store, retention and hub suites (tagged
// [backend]) run once on SQLite and once, as CTest's "postgres: " tests, on
// PostgreSQL (MCPKEEP_TEST_BACKEND=postgres), through these helpers.
#pragma once

#include <string>

#include "helpers/temp_dir.h"

namespace mcpkeep::test {

// True when this run is on PostgreSQL.
bool onPostgres();

// The test server's admin URI: MCPKEEP_TEST_POSTGRES_URI, or the uri file
// that CTest's fixture (tests/postgres/server.sh) wrote to the build's
// tests/postgres. Throws "no PostgreSQL server installed" (CTest
// reports the test skipped) when there is none.
std::string postgresServer();

// A fresh, empty database: the file `name` in `dir`, or on PostgreSQL a new
// database on the test server (its URI).
std::string newDatabase(const TempDir& dir, const std::string& name);

// A new, empty database on the PostgreSQL test server (its URI).
std::string newPostgresDatabase();

// Runs SQL statements against a database with its engine's CLI (sqlite3
// -bail, or psql with ON_ERROR_STOP, unaligned rows only): exit code and
// output.
CommandResult runSql(const std::string& location, const std::string& statements);

}  // namespace mcpkeep::test
