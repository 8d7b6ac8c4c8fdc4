#include "app/admin.h"

#include <sys/stat.h>

#include <algorithm>
#include <iostream>

#include <SQLiteCpp/Exception.h>

#include <mcpkeep/error.h>

#include "app/commands.h"

namespace mcpkeep::app {

AdminCommand::AdminCommand(const char* usage, const std::vector<std::string>& args,
                           std::vector<std::string> valued, std::vector<std::string> switches)
    : usage_(usage) {
  // A config file shared with `serve` may hold its settings: accept them.
  for (const std::string& name : serveSettingNames()) {
    if (std::find(valued.begin(), valued.end(), name) == valued.end()) valued.push_back(name);
  }
  switches.push_back("json");
  switches.push_back("help");
  settings_ = std::make_unique<Settings>(args, valued, switches);
  db_ = settings_->get("db", "./mcpkeep.db");
}

std::unique_ptr<SQLite::Database> AdminCommand::openReadOnly() const {
  requireFile();
  struct stat st;
  if (::stat(db_.c_str(), &st) != 0) {
    throw Error(ErrorCode::kCantOpen, db_ + ": no such file (give the database with --db PATH)");
  }
  auto db = std::make_unique<SQLite::Database>(db_, SQLite::OPEN_READONLY, 5000);
  return db;
}

void AdminCommand::requireFile() const {
  if (db_.rfind("postgres", 0) == 0) {
    throw Error(ErrorCode::kInvalidArgument,
                "this command reads an SQLite file; on PostgreSQL read the same views with psql "
                "(sessions_v, streams_v, events_v, replicas_v; see the README's cookbook), and "
                "`serve` applies migrations at start (`expire` works on both)");
  }
}

namespace {

std::string text(const nlohmann::ordered_json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "-";
  return value.dump();
}

}  // namespace

void AdminCommand::printObject(const nlohmann::ordered_json& fields) const {
  if (json()) {
    std::cout << fields.dump() << std::endl;
    return;
  }
  std::size_t width = 0;
  for (const auto& [name, value] : fields.items()) width = std::max(width, name.size());
  for (const auto& [name, value] : fields.items()) {
    std::cout << name << ":" << std::string(width - name.size() + 1, ' ') << text(value) << "\n";
  }
  std::cout << std::flush;
}

void AdminCommand::printRows(const std::vector<std::string>& columns,
                             const std::vector<nlohmann::ordered_json>& rows) const {
  if (json()) {
    for (const auto& row : rows) std::cout << row.dump() << "\n";
    std::cout << std::flush;
    return;
  }
  std::vector<std::size_t> widths;
  for (const auto& c : columns) widths.push_back(c.size());
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < columns.size(); ++i) widths[i] = std::max(widths[i], text(row[columns[i]]).size());
  }
  const auto line = [&](const std::function<std::string(std::size_t)>& cell) {
    std::string out;
    for (std::size_t i = 0; i < columns.size(); ++i) {
      const std::string value = cell(i);
      out += value + (i + 1 < columns.size() ? std::string(widths[i] - value.size() + 2, ' ') : "");
    }
    std::cout << out << "\n";
  };
  line([&](std::size_t i) { return columns[i]; });
  for (const auto& row : rows) line([&](std::size_t i) { return text(row[columns[i]]); });
  std::cout << std::flush;
}

int runAdmin(const char* name, const char* usage, const std::vector<std::string>& args,
             std::vector<std::string> valued, std::vector<std::string> switches,
             const std::function<int(const AdminCommand&)>& body) {
  std::unique_ptr<AdminCommand> command;
  try {
    command = std::make_unique<AdminCommand>(usage, args, std::move(valued), std::move(switches));
    if (command->help()) {
      std::cout << usage;
      return 0;
    }
    return body(*command);
  } catch (const Usage& e) {
    std::cerr << "mcpkeep " << name << ": " << e.what() << "\n\n" << usage;
    return 2;
  } catch (const Error& e) {
    std::cerr << "mcpkeep " << name << ": " << e.what() << "\n";
    return 1;
  } catch (const SQLite::Exception& e) {
    // E.g. "no such table: sessions": not a database of ours, or damaged.
    std::cerr << "mcpkeep " << name << ": " << command->db() << ": " << e.what()
              << " (is it an mcpkeep database? `mcpkeep check` tells)\n";
    return 1;
  }
}

}  // namespace mcpkeep::app
