// MCP's log levels (RFC 5424's, as MCP names them).
#pragma once

#include <string>

namespace mcpkeep::mcp {

// The index of a level ("debug" 0 ... "emergency" 7), or -1 for another word.
int logLevelIndex(const std::string& level);

}  // namespace mcpkeep::mcp
