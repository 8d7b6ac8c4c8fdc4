// serveStdio: an McpServer on MCP's stdio transport (newline-delimited
// JSON-RPC on stdin and stdout), for the conformance fixture as a stdio
// upstream behind `mcpkeep serve --upstream-command`. What the server
// publishes on a request's stream, or on the session's standalone stream,
// is written to stdout as it is committed.
#pragma once

#include <mcpkeep/mcp_server.h>

namespace mcpkeep::test {

// Serves until stdin ends; returns 0.
int serveStdio(McpServer& server);

}  // namespace mcpkeep::test
