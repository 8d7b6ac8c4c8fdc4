// The mcpkeep binary: `serve` (the MCP server) and `demo`.
#include <iostream>
#include <string>
#include <vector>

#include <mcpkeep/error.h>

#include "app/commands.h"

namespace {

const char kUsage[] =
    "usage: mcpkeep <command> [options]\n"
    "\n"
    "  serve   serve MCP over Streamable HTTP with durable sessions (mcpkeep serve --help)\n"
    "  demo    write a sample session into a database and show how to read it\n";

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + (argc > 1 ? 2 : 1), argv + argc);
  const std::string command = argc > 1 ? argv[1] : "";
  try {
    if (command == "serve") return mcpkeep::app::serve(args);
    if (command == "demo") return mcpkeep::app::demo(args);
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
