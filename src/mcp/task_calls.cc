// Tool calls that become tasks (ToolContext::startTask), the task requests
// (tasks/get, tasks/update, tasks/cancel), and what a restart does with the
// tasks a dead server left unfinished.
#include "log/log.h"
#include "mcp/call_context.h"
#include "mcp/pool_task.h"
#include "mcp/stateless_era.h"
#include "mcp/task_json.h"

namespace mcpkeep {

using nlohmann::json;
using mcp::RpcError;

namespace {

// How often a task's handler looks at its row for what another process
// changed (a cancel, answers) when nothing in this process woke it.
constexpr std::chrono::milliseconds kTaskPoll{500};

const char* const kStoppedMessage = "the server stopped before the task finished";

}  // namespace

bool McpServer::Impl::Context::cancelled() const {
  if (cancelled_->load()) return true;
  if (task_id_.empty()) return false;
  if (server_.running_tasks.cancelled(task_id_)) return true;
  const auto now = std::chrono::steady_clock::now();
  if (now - task_checked_ < kTaskPoll) return false;
  task_checked_ = now;
  const std::optional<Task> task = server_.store.task(task_id_);
  if (task && !task->finished()) return false;
  server_.running_tasks.cancel(task_id_);  // cancelled elsewhere, or expired
  return true;
}

bool McpServer::Impl::Context::startTask(const std::string& status_message) {
  if (!task_id_.empty()) return true;
  if (!caller_.stateless || !caller_.tasks || tool_.task_support == TaskSupport::kForbidden) return false;
  const json request = {{"name", tool_.name}, {"arguments", arguments_}, {"clientCapabilities", caller_.capabilities}};
  Task task = server_.store.createTask(request.dump(), tool_.task_ttl, tool_.task_poll_interval);
  if (!status_message.empty()) {
    server_.store.setTaskStatusMessage(task.id, status_message);
    task.status_message = status_message;
  }
  server_.running_tasks.add(task.id);
  task_id_ = task.id;
  // Committed above: a tasks/get for this id resolves before anyone hears of it.
  json created = mcp::detailedTask(task);
  created["resultType"] = "task";
  created["_meta"] = {{mcp::kServerInfoKey, server_.serverInfoJson()}};
  stream_.answer(mcp::resultMessage(id_, created).dump());
  server_.announceTask(task.id);
  return true;
}

void McpServer::Impl::Context::setStatusMessage(const std::string& message) {
  if (task_id_.empty()) return;
  server_.store.setTaskStatusMessage(task_id_, message);
  server_.announceTask(task_id_);
}

std::map<std::string, json> McpServer::Impl::Context::requestFromTask(const std::map<std::string, InputRequest>& requests) {
  for (;;) {
    const uint64_t seen = server_.running_tasks.wakes(task_id_);
    const std::optional<Task> task = server_.store.task(task_id_);
    if (!task || task->finished()) throw mcp::TaskEnded{};
    const json answered = json::parse(task->input_responses);
    const json pending = json::parse(task->input_requests);
    std::map<std::string, json> results;
    json ask = json::object();
    for (const auto& [key, asked] : requests) {
      if (answered.contains(key)) {
        results[key] = answered[key];
      } else if (!pending.contains(key)) {
        ask[key] = {{"method", asked.method}, {"params", asked.params}};
      }
    }
    if (results.size() == requests.size()) return results;
    if (!ask.empty()) {
      if (!server_.store.askTaskInput(task_id_, ask.dump())) throw mcp::TaskEnded{};
      server_.announceTask(task_id_);
      continue;
    }
    server_.running_tasks.wait(task_id_, seen, kTaskPoll);
    if (cancelled()) throw mcp::TaskEnded{};
  }
}

void McpServer::Impl::finishTask(const std::string& task_id, const json& answer, bool stopped) {
  try {
    if (stopped) {
      store.finishTask(task_id, TaskStatus::kFailed, mcp::interruptedError(nullptr)["error"].dump(), kStoppedMessage);
    } else if (answer.contains("error")) {
      store.finishTask(task_id, TaskStatus::kFailed, answer["error"].dump(),
                       answer["error"].value("message", std::string()));
    } else if (answer.contains("result")) {
      // The CallToolResult the call would have answered, resultType and all.
      store.finishTask(task_id, TaskStatus::kCompleted, answer["result"].dump());
    }
    announceTask(task_id);
  } catch (const Error& e) {
    // The row stays unfinished; the next server on the file fails it.
    log::error("mcpkeep.mcp", "a task's outcome could not be stored", {{"task", task_id}, {"error", e.what()}});
  }
  running_tasks.remove(task_id);
}

void McpServer::Impl::announceTask(const std::string& task_id) {
  if (!listeners.wantTasks()) return;
  try {
    if (const std::optional<Task> task = store.task(task_id)) {
      hub.publish(statelessSession(), "message", mcp::notificationMessage("notifications/tasks", mcp::detailedTask(*task)).dump());
    }
  } catch (const Error&) {
    // A notification is a courtesy: tasks/get has the state.
  }
}

json McpServer::Impl::taskRequest(mcp::Method method, const json& params, const json& capabilities) {
  const std::string name = mcp::methodName(method);
  if (!mcp::declaresTasks(capabilities)) {
    throw RpcError(mcp::kMissingClientCapability,
                   name + " needs the client capability extensions." + mcp::kTasksExtension,
                   mcp::tasksCapabilityMissing());
  }
  const std::string& id = mcp::requireString(params, "taskId", name);
  const auto unknown = [&] { return RpcError(mcp::kInvalidParams, "task '" + id + "' not found (never made, or expired)"); };
  switch (method) {
    case mcp::Method::kTasksGet: {
      const std::optional<Task> task = store.task(id);
      if (!task) throw unknown();
      return mcp::detailedTask(*task);
    }
    case mcp::Method::kTasksUpdate: {
      const auto responses = params.find("inputResponses");
      if (responses == params.end() || !responses->is_object()) {
        throw RpcError(mcp::kInvalidParams, "tasks/update needs \"inputResponses\", an object");
      }
      for (const auto& [key, response] : responses->items()) {
        if (!response.is_object()) throw RpcError(mcp::kInvalidParams, "inputResponses." + key + " must be an object");
      }
      if (!store.answerTaskInput(id, responses->dump())) throw unknown();
      running_tasks.wake(id);
      announceTask(id);
      return json::object();
    }
    case mcp::Method::kTasksCancel:
      if (!store.cancelTask(id)) throw unknown();
      running_tasks.cancel(id);
      announceTask(id);
      return json::object();
    default:
      break;
  }
  throw std::logic_error(name + " is not a task request");
}

void McpServer::Impl::recoverTasksWhenDue() {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(recovery_mutex);
  if (tasks_recovered_at && (!store.shared() || now - *tasks_recovered_at < store.replicaLease() / 2)) return;
  recoverTasks();  // a throw leaves it due
  tasks_recovered_at = now;
}

void McpServer::Impl::recoverTasks() {
  // Unfinished tasks of replicas that are gone: on a file this server holds
  // (ServedFile), every other replica's; on a shared database, those whose
  // lease ran out.
  for (const Task& task : store.claimOrphanedTasks(!store.shared())) {
    const json request = json::parse(task.request, nullptr, false);
    std::optional<Tool> tool;
    {
      std::lock_guard<std::mutex> lock(mutex);
      const auto found = tools.find(request.value("name", std::string()));
      if (found != tools.end() && found->second.rerun_tasks_after_restart) tool = found->second;
    }
    if (!tool) {
      store.finishTask(task.id, TaskStatus::kFailed, mcp::interruptedError(nullptr)["error"].dump(), kStoppedMessage);
      continue;
    }
    mcp::Caller caller;
    caller.stateless = caller.tasks = true;
    caller.capabilities = request.value("clientCapabilities", json::object());
    const std::string session = statelessSession();
    auto stream = std::make_shared<mcp::CallStream>(hub, session, "[]");  // never opened: a task sends nothing on it
    auto cancelled = std::make_shared<std::atomic<bool>>(false);
    const auto key = std::make_pair(session, "#" + std::to_string(++stateless_calls));
    running_tasks.add(task.id);
    std::lock_guard<std::mutex> lock(mutex);
    calls[key] = Call{cancelled, stream, nullptr};
    mcp::startOnPool(tool_threads, [this, session, stream, arguments = request.value("arguments", json::object()),
                                    tool = *tool, cancelled, caller, key, id = task.id] {
      runToolCall(session, *stream, nullptr, arguments, tool, json(), cancelled, caller, id);
      {
        std::lock_guard<std::mutex> lock(mutex);
        calls.erase(key);
      }
      calls_ended.notify_all();
    });
    log::info("mcpkeep.mcp", "task run again after a restart", {{"task", task.id}, {"tool", tool->name}});
  }
}

}  // namespace mcpkeep
