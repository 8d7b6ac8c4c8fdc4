// The admin subcommands of the mcpkeep binary: they read (or maintain) a
// database beside a running server; WAL lets them in. Each prints for people
// by default and JSON with --json (one object, or JSON lines for lists),
// and returns the exit code: 0 done, 1 a problem found or an error, 2 bad
// usage.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <nlohmann/json.hpp>

#include "app/settings.h"

namespace mcpkeep::app {

// What every admin command shares: its usage text, its settings (--db and
// the command's own, plus every serve setting a shared config file may
// hold), and output for people or JSON.
class AdminCommand {
 public:
  AdminCommand(const char* usage, const std::vector<std::string>& args,
               std::vector<std::string> valued = {}, std::vector<std::string> switches = {});

  const Settings& settings() const { return *settings_; }
  const std::string& db() const { return db_; }
  bool json() const { return settings_->on("json"); }
  bool help() const { return settings_->on("help"); }
  const char* usage() const { return usage_; }

  // A read-only connection to the database; throws mcpkeep::Error (kCantOpen)
  // when the file does not exist.
  // Throws kInvalidArgument for a PostgreSQL database: the command works on
  // an SQLite file only.
  void requireFile() const;
  std::unique_ptr<SQLite::Database> openReadOnly() const;

  // Prints `fields` as "name: value" lines, or as one JSON object.
  void printObject(const nlohmann::ordered_json& fields) const;
  // Prints rows as an aligned table with `columns`, or as JSON lines.
  void printRows(const std::vector<std::string>& columns, const std::vector<nlohmann::ordered_json>& rows) const;

 private:
  const char* usage_;
  std::unique_ptr<Settings> settings_;
  std::string db_;
};

// Runs `body` for an admin command: prints usage for --help and usage
// errors, and mcpkeep or SQLite errors as one line; returns the exit code.
int runAdmin(const char* name, const char* usage, const std::vector<std::string>& args,
             std::vector<std::string> valued, std::vector<std::string> switches,
             const std::function<int(const AdminCommand&)>& body);

int check(const std::vector<std::string>& args);
int stats(const std::vector<std::string>& args);
int sessions(const std::vector<std::string>& args);
int events(const std::vector<std::string>& args);
int exportSession(const std::vector<std::string>& args);
int expire(const std::vector<std::string>& args);
int vacuum(const std::vector<std::string>& args);
int migrate(const std::vector<std::string>& args);

}  // namespace mcpkeep::app
