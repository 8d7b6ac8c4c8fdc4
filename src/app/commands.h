// The mcpkeep binary's subcommands (the admin ones are in admin.h), and the
// tools `serve` offers.
#pragma once

#include <string>
#include <vector>

#include <mcpkeep/mcp_server.h>

namespace mcpkeep::app {

// Each takes the arguments after the subcommand name and returns the exit code.
int serve(const std::vector<std::string>& args);
int demo(const std::vector<std::string>& args);

// The settings `serve` reads (a config file may hold any of them).
const std::vector<std::string>& serveSettingNames();

// echo, and slow_task: a long-running tool for trying durability by hand.
void addBuiltinTools(McpServer& server);

}  // namespace mcpkeep::app
