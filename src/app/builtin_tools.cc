// The tools of `mcpkeep serve`: echo, and slow_task, which reports progress
// every interval for N steps (kill the server midway, restart it, and
// resume with Last-Event-ID to watch durability work); for a 2026-07-28
// client that takes tasks it runs as a task (poll it with tasks/get).
#include <chrono>
#include <thread>

#include "app/commands.h"

namespace mcpkeep::app {

using nlohmann::json;

void addBuiltinTools(McpServer& server) {
  Tool echo;
  echo.name = "echo";
  echo.description = "Returns the message it is given.";
  echo.input_schema = {{"type", "object"},
                       {"properties", {{"message", {{"type", "string"}}}}},
                       {"required", {"message"}}};
  echo.handler = [](const json& arguments, ToolContext&) -> json {
    const auto message = arguments.find("message");
    if (message == arguments.end() || !message->is_string()) {
      throw std::invalid_argument("\"message\" must be a string");
    }
    return {{"content", {{{"type", "text"}, {"text", *message}}}}};
  };
  server.addTool(std::move(echo));

  Tool slow;
  slow.name = "slow_task";
  slow.description =
      "Works for `steps` steps of `interval_ms` each, sending a progress notification after "
      "each, then returns; a task for clients that take tasks. For trying restarts and resumption.";
  slow.task_support = TaskSupport::kOptional;
  slow.input_schema = {
      {"type", "object"},
      {"properties",
       {{"steps", {{"type", "integer"}, {"minimum", 1}, {"maximum", 10000}, {"default", 10}}},
        {"interval_ms", {{"type", "integer"}, {"minimum", 0}, {"maximum", 60000}, {"default", 1000}}}}}};
  slow.handler = [](const json& arguments, ToolContext& context) -> json {
    const int steps = arguments.value("steps", 10);
    const int interval_ms = arguments.value("interval_ms", 1000);
    if (steps < 1 || steps > 10000 || interval_ms < 0 || interval_ms > 60000) {
      throw std::invalid_argument("steps must be 1..10000 and interval_ms 0..60000");
    }
    const bool task = context.startTask("step 0 of " + std::to_string(steps));
    for (int step = 1; step <= steps; ++step) {
      if (context.cancelled()) throw std::runtime_error("cancelled");
      std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
      const std::string done = "step " + std::to_string(step) + " of " + std::to_string(steps);
      if (task && step % 10 == 0) context.setStatusMessage(done);  // a commit: not at every step
      context.progress(step, steps, done);
    }
    return {{"content", {{{"type", "text"}, {"text", "done after " + std::to_string(steps) + " steps"}}}}};
  };
  server.addTool(std::move(slow));
}

}  // namespace mcpkeep::app
