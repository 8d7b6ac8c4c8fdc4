// The conformance fixture's tools for the 2026-07-28 scenarios.
#pragma once

#include <mcpkeep/mcp_server.h>

namespace mcpkeep::test {

// Adds them to `server`, which must outlive its requests (two tools add to it).
void addStatelessFixtureTools(McpServer& server);

}  // namespace mcpkeep::test
