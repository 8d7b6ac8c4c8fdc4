// The mcpkeep binary: `serve` (the MCP server), the admin commands, `demo`.
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <mcpkeep/error.h>

#include "app/admin.h"
#include "app/commands.h"

namespace {

const char kUsage[] =
    "usage: mcpkeep <command> [options]   (mcpkeep <command> --help for each)\n"
    "\n"
    "  serve     serve MCP over Streamable HTTP with durable sessions\n"
    "\n"
    "On a database, also beside a running server (--db PATH, --json for scripts):\n"
    "  check     integrity, schema version, WAL size; exit code 0 when sound\n"
    "  stats     sessions, streams, events, oldest/newest event, sizes, retention\n"
    "  sessions  sessions, idle longest first (--idle-over S)\n"
    "  events    a session's events (--after ID, --follow like tail -f)\n"
    "  export    a session as JSON lines\n"
    "  expire    run the maintenance job now (age and idle retention)\n"
    "  vacuum    rewrite the file to its smallest, with progress\n"
    "  migrate   apply this mcpkeep's migrations, report versions\n"
    "\n"
    "  demo      write a sample session into a database and show how to read it\n";

using Command = int (*)(const std::vector<std::string>&);

const std::map<std::string, Command> kCommands = {
    {"serve", mcpkeep::app::serve},      {"demo", mcpkeep::app::demo},
    {"check", mcpkeep::app::check},      {"stats", mcpkeep::app::stats},
    {"sessions", mcpkeep::app::sessions}, {"events", mcpkeep::app::events},
    {"export", mcpkeep::app::exportSession}, {"expire", mcpkeep::app::expire},
    {"vacuum", mcpkeep::app::vacuum},    {"migrate", mcpkeep::app::migrate},
};

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + (argc > 1 ? 2 : 1), argv + argc);
  const std::string command = argc > 1 ? argv[1] : "";
  try {
    if (const auto it = kCommands.find(command); it != kCommands.end()) return it->second(args);
    if (command == "--help" || command == "-h" || command == "help") {
      std::cout << kUsage;
      return 0;
    }
    std::cerr << (command.empty() ? "" : "mcpkeep: unknown command '" + command + "'\n") << kUsage;
    return 2;
  } catch (const mcpkeep::Error& e) {
    std::cerr << "mcpkeep: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "mcpkeep: " << e.what() << "\n";
    return 1;
  }
}
