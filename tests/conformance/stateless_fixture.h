// The conformance fixture's tools for the 2026-07-28 scenarios.
#pragma once

#include <mcpkeep/mcp_server.h>

namespace mcpkeep::test {

// Adds them to `server`, which must outlive its requests (two tools add to it).
void addStatelessFixtureTools(McpServer& server);

// The tools the tasks scenarios name: greet (never a task), slow_compute,
// failing_job, protocol_error_job, confirm_delete, multi_input,
// test_tool_with_task.
void addTaskFixtureTools(McpServer& server);

}  // namespace mcpkeep::test
