// mcpkeep::Task: a task of the io.modelcontextprotocol/tasks extension
// (protocol 2026-07-28), as stored: a tool call that answered with a task
// id and goes on in the background. See migrations/0008_tasks.sql.
// Thread safety: a plain value.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <mcpkeep/time.h>

namespace mcpkeep {

enum class TaskStatus { kWorking, kInputRequired, kCompleted, kFailed, kCancelled };

// "working", "input_required", "completed", "failed", "cancelled".
const char* taskStatusName(TaskStatus status);

struct Task {
  std::string id;  // 128 random bits as 32 lowercase hex digits
  TaskStatus status = TaskStatus::kWorking;
  std::string status_message;  // empty: none
  TimePoint created_at;
  TimePoint updated_at;
  std::optional<std::chrono::milliseconds> ttl;  // none: kept until deleted
  std::chrono::milliseconds poll_interval{1000};
  std::string request;          // JSON: the tools/call params (name, arguments)
  std::string input_requests;   // JSON object: key -> request, waiting for answers
  std::string input_responses;  // JSON object: key -> result, every answer given
  std::optional<std::string> result;  // JSON, when completed
  std::optional<std::string> error;   // JSON-RPC error object, when failed

  bool finished() const {
    return status == TaskStatus::kCompleted || status == TaskStatus::kFailed || status == TaskStatus::kCancelled;
  }
};

}  // namespace mcpkeep
