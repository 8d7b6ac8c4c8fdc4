// gateway::Command: how to start a stdio upstream: its argv (no shell), the
// environment it gets besides mcpkeep's own, and its working directory.
#pragma once

#include <string>
#include <vector>

namespace mcpkeep::gateway {

struct Command {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH
  std::vector<std::string> env;   // "NAME=value", added to (or replacing) mcpkeep's environment
  std::string cwd;                // empty: mcpkeep's

  // "npx -y @scope/server" as the user wrote it: argv[0] and the rest.
  std::string display() const;
};

// Splits a command line into arguments the way a POSIX shell would, without
// running one: whitespace separates; 'single quotes' keep everything;
// "double quotes" keep everything but \" \\ \$ \`; a backslash outside quotes
// keeps the next character. A text starting with '[' is read as a JSON array
// of strings instead. Throws std::invalid_argument naming the problem (an
// open quote, an empty command, a JSON array with a non-string).
std::vector<std::string> splitCommandLine(const std::string& text);

}  // namespace mcpkeep::gateway
