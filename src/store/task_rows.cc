#include "store/task_rows.h"

#include <nlohmann/json.hpp>

#include <mcpkeep/error.h>

namespace mcpkeep::store {

using nlohmann::json;

TaskStatus parseTaskStatus(const std::string& name) {
  for (TaskStatus s : {TaskStatus::kWorking, TaskStatus::kInputRequired, TaskStatus::kCompleted,
                       TaskStatus::kFailed, TaskStatus::kCancelled}) {
    if (name == taskStatusName(s)) return s;
  }
  throw Error(ErrorCode::kCorrupt, "a task has the unknown status '" + name + "'");
}

TaskInputs withRequests(const Task& task, const std::string& requests) {
  json pending = json::parse(task.input_requests);
  const json added = json::parse(requests);
  for (const auto& [key, request] : added.items()) pending[key] = request;
  return {TaskStatus::kInputRequired, pending.dump(), task.input_responses};
}

std::optional<TaskInputs> withResponses(const Task& task, const std::string& responses) {
  json pending = json::parse(task.input_requests);
  json answered = json::parse(task.input_responses);
  bool changed = false;
  const json given = json::parse(responses);
  for (const auto& [key, response] : given.items()) {
    if (!pending.contains(key)) continue;  // never asked, or answered already
    answered[key] = response;
    pending.erase(key);
    changed = true;
  }
  if (!changed) return std::nullopt;
  return TaskInputs{pending.empty() ? TaskStatus::kWorking : TaskStatus::kInputRequired,
                    pending.dump(), answered.dump()};
}

}  // namespace mcpkeep::store
