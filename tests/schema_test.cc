// schema/schema.sql is what the migrations produce; migrations are atomic.
#include <catch2/catch.hpp>

#include <regex>

#include <SQLiteCpp/SQLiteCpp.h>

#include <mcpkeep/mcpkeep.h>

#include "helpers/error_matcher.h"
#include "helpers/backends.h"
#include "helpers/temp_dir.h"
#include "store/sqlite/migrations.h"

namespace {

// sqlite_schema as comparable text: one line per object, whitespace folded.
std::string normalizedSchema(SQLite::Database& db) {
  std::string out;
  SQLite::Statement q(db, "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY type, name");
  while (q.executeStep()) {
    std::string sql = q.getColumn(3).getString();
    sql = std::regex_replace(sql, std::regex("--[^\n]*|/\\*[^*]*\\*/"), "");
    sql = std::regex_replace(sql, std::regex("\\s+"), " ");
    sql = std::regex_replace(sql, std::regex(" ?([(),;]) ?|^ | $"), "$1");
    out += q.getColumn(0).getString() + " " + q.getColumn(1).getString() + " " +
           q.getColumn(2).getString() + ": " + sql + "\n";
  }
  out += "user_version " + db.execAndGet("PRAGMA user_version").getString() + "\n";
  return out;
}

}  // namespace

TEST_CASE("schema/schema.sql equals the schema the migrations produce") {
  mcpkeep::test::TempDir dir;
  const auto migrated = dir.file("migrated.db");
  { mcpkeep::Store store(migrated, mcpkeep::test::testOptions()); }
  SQLite::Database from_migrations(migrated);

  SQLite::Database from_schema(dir.file("schema.db"), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  from_schema.exec(mcpkeep::test::readFile(MCPKEEP_SOURCE_DIR "/schema/schema.sql"));

  CHECK(normalizedSchema(from_schema) == normalizedSchema(from_migrations));
}

TEST_CASE("the embedded migrations are numbered from 1 without holes") {
  const auto& migrations = mcpkeep::store::embeddedMigrations();
  REQUIRE_FALSE(migrations.empty());
  for (std::size_t i = 0; i < migrations.size(); ++i) {
    CHECK(migrations[i].version == static_cast<int>(i) + 1);
  }
}

TEST_CASE("a failing migration leaves the file at the previous version with nothing half done") {
  mcpkeep::test::TempDir dir;
  SQLite::Database db(dir.file("m.db"), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  const std::vector<mcpkeep::store::Migration> migrations = {
      {1, "0001_one", "CREATE TABLE one (x INTEGER);"},
      {2, "0002_broken", "CREATE TABLE two (x INTEGER); INSERT INTO nowhere VALUES (1);"},
  };
  CHECK_ERROR(mcpkeep::store::migrate(db, "m.db", migrations), mcpkeep::ErrorCode::kInternal);
  CHECK(db.execAndGet("PRAGMA user_version").getInt() == 1);
  CHECK(db.tableExists("one"));
  CHECK_FALSE(db.tableExists("two"));

  const std::vector<mcpkeep::store::Migration> fixed = {
      migrations[0], {2, "0002_fixed", "CREATE TABLE two (x INTEGER);"}};
  mcpkeep::store::migrate(db, "m.db", fixed);
  CHECK(db.execAndGet("PRAGMA user_version").getInt() == 2);
  CHECK(db.tableExists("two"));
}

TEST_CASE("schema/postgres.sql equals the schema migrations/postgres/ produce", "[postgres]") {
  const std::string db = mcpkeep::test::newPostgresDatabase();
  { mcpkeep::Store store(db, mcpkeep::test::testOptions()); }
  const auto dumped = mcpkeep::test::runCommand("'" MCPKEEP_SOURCE_DIR "/tests/postgres/schema.sh' '" + db + "'");
  REQUIRE(dumped.exit_code == 0);
  CHECK(dumped.output == mcpkeep::test::readFile(MCPKEEP_SOURCE_DIR "/schema/postgres.sql"));
}
