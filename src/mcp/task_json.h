// Tasks on the wire (io.modelcontextprotocol/tasks, protocol 2026-07-28).
#pragma once

#include <nlohmann/json.hpp>

#include <mcpkeep/task.h>

namespace mcpkeep::mcp {

// The extension's identifier, in capabilities.extensions.
extern const char* const kTasksExtension;

// Whether a client's capabilities (a stateless request's _meta) declare it.
bool declaresTasks(const nlohmann::json& capabilities);

// The data of a -32021 error naming the extension as the missing capability.
nlohmann::json tasksCapabilityMissing();

// The Task a CreateTaskResult, tasks/get and notifications/tasks carry, with
// what its status inlines (inputRequests, result or error). No resultType.
nlohmann::json detailedTask(const Task& task);

// A task's times as the wire has them: ISO 8601, UTC, milliseconds.
std::string isoTime(TimePoint time);

}  // namespace mcpkeep::mcp
