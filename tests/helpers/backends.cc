#include "helpers/backends.h"

#include <cstdlib>
#include <fstream>
#include <random>
#include <stdexcept>

namespace mcpkeep::test {
namespace {

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

std::string firstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

}  // namespace

bool onPostgres() { return env("MCPKEEP_TEST_BACKEND") == "postgres"; }

std::string postgresServer() {
  std::string uri = env("MCPKEEP_TEST_POSTGRES_URI");
  if (uri.empty()) uri = firstLine(readFile(std::string(MCPKEEP_TEST_POSTGRES_DIR) + "/uri"));
  if (uri.empty()) {
    throw std::runtime_error(
        "no PostgreSQL server installed: set MCPKEEP_TEST_POSTGRES_URI or install postgresql-15");
  }
  return uri;
}

std::string newDatabase(const TempDir& dir, const std::string& name) {
  return onPostgres() ? newPostgresDatabase() : dir.file(name);
}

std::string newPostgresDatabase() {
  const std::string server = postgresServer();
  static std::mt19937_64 random{std::random_device{}()};  // NOLINT: one per process is enough
  const std::string database = "test_" + std::to_string(random() % 1000000000000ULL);
  const CommandResult made = runSql(server, "CREATE DATABASE " + database + ";");
  if (made.exit_code != 0) throw std::runtime_error("creating a test database: " + made.output);
  return server.substr(0, server.rfind('/') + 1) + database;
}

CommandResult runSql(const std::string& location, const std::string& statements) {
  if (location.rfind("postgres", 0) != 0) return runSqlite3(location, statements);
  static std::mt19937_64 random{std::random_device{}()};
  const std::string script = "/tmp/mcpkeep-psql-" + std::to_string(random()) + ".sql";
  std::ofstream(script) << statements;
  CommandResult result =
      runCommand("psql -X -q -tA -v ON_ERROR_STOP=1 '" + location + "' -f '" + script + "'");
  std::remove(script.c_str());
  return result;
}

}  // namespace mcpkeep::test
