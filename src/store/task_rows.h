// What both backends share about task rows: their columns (the same SQL in
// both dialects), the status names, and how input requests and answers
// merge (tasks/update semantics).
#pragma once

#include <optional>
#include <string>

#include <mcpkeep/task.h>

namespace mcpkeep::store {

inline constexpr const char* kTaskColumns =
    "id, status, status_message, created_at, updated_at, ttl_ms, poll_interval_ms, request, "
    "input_requests, input_responses, result, error";
inline constexpr const char* kUnfinishedTask = "status IN ('working', 'input_required')";

// The stored status name back to the enum; unknown text throws kCorrupt.
TaskStatus parseTaskStatus(const std::string& name);

// A task's input requests still waiting and the answers given, as JSON text.
struct TaskInputs {
  TaskStatus status;
  std::string requests;
  std::string responses;
};

// The task's inputs once `requests` (key -> request) are added to those it
// waits on: input_required.
TaskInputs withRequests(const Task& task, const std::string& requests);

// The task's inputs once `responses` (key -> result) answer requests it
// waits on (others are ignored: never asked, or answered already); working
// again when none waits. nullopt when nothing it waits on was answered.
std::optional<TaskInputs> withResponses(const Task& task, const std::string& responses);

}  // namespace mcpkeep::store
