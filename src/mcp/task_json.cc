#include "mcp/task_json.h"

#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>

namespace mcpkeep::mcp {

using nlohmann::json;

const char* const kTasksExtension = "io.modelcontextprotocol/tasks";

bool declaresTasks(const json& capabilities) {
  const auto extensions = capabilities.find("extensions");
  return extensions != capabilities.end() && extensions->is_object() && extensions->contains(kTasksExtension);
}

json tasksCapabilityMissing() {
  return {{"requiredCapabilities", {{"extensions", {{kTasksExtension, json::object()}}}}}};
}

std::string isoTime(TimePoint time) {
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
  return Poco::DateTimeFormatter::format(Poco::Timestamp(micros), "%Y-%m-%dT%H:%M:%S.%iZ");
}

json detailedTask(const Task& task) {
  json out = {{"taskId", task.id},
              {"status", taskStatusName(task.status)},
              {"createdAt", isoTime(task.created_at)},
              {"lastUpdatedAt", isoTime(task.updated_at)},
              {"ttlMs", task.ttl ? json(task.ttl->count()) : json(nullptr)},
              {"pollIntervalMs", task.poll_interval.count()}};
  if (!task.status_message.empty()) out["statusMessage"] = task.status_message;
  if (task.status == TaskStatus::kInputRequired) out["inputRequests"] = json::parse(task.input_requests);
  if (task.result) out["result"] = json::parse(*task.result);
  if (task.error) out["error"] = json::parse(*task.error);
  return out;
}

}  // namespace mcpkeep::mcp
