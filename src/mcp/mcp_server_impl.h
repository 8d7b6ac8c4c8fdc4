// McpServer::Impl: what an McpServer holds, shared by mcp_server.cc (the
// public methods and request dispatch) and tool_calls.cc (running tools and
// their requests to the client).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include <Poco/ThreadPool.h>

#include <mcpkeep/mcp_server.h>

#include "mcp/call_stream.h"
#include "mcp/client_requests.h"
#include "mcp/completion.h"
#include "mcp/json_rpc.h"
#include "mcp/list_page.h"
#include "mcp/listeners.h"
#include "mcp/log_level.h"
#include "mcp/methods.h"
#include "mcp/prompts.h"
#include "mcp/replica_inbox.h"
#include "mcp/served_file.h"
#include "mcp/request_state.h"
#include "mcp/running_tasks.h"
#include "mcp/resources.h"

namespace mcpkeep {

namespace mcp {

// The "uri" param of a resources/* request. Throws RpcError(kInvalidParams).
std::string requireUri(const nlohmann::json& params, const std::string& method);

// Tool calls run at once, each on a thread of its own (a handler may block
// for long); threads are reused, and those idle for a minute end.
constexpr int kMaxToolThreads = 4096;
constexpr int kToolThreadIdleSeconds = 60;
// How long a tool call's stream waits to be opened together with the
// answer (one commit) before it is opened alone (CallStream). Short beside
// any network round trip; long beside a quick tool.
constexpr std::chrono::milliseconds kAnswerWithin{5};

// Who calls a tool, as the request's era says. A session's client: its
// capabilities and log level are the session's. A stateless request
// carries them, and the answers its client gave in earlier rounds.
struct Caller {
  bool stateless = false;
  nlohmann::json capabilities = nlohmann::json::object();  // stateless
  int log_level = -1;                                       // stateless; -1: no logs
  nlohmann::json answers = nlohmann::json::object();       // stateless: inputResponses so far
  std::string binding;  // stateless: the request a requestState is bound to
  bool tasks = false;   // stateless: declares the tasks extension (the call may become a task)
};

// Thrown through a stateless call's handler that asked for input its
// client has not given yet: the call is answered "input_required". Not a
// std::exception, so a handler's catch of std::exception lets it through.
struct InputRequired {
  nlohmann::json requests;  // key -> {method, params}
};

// Likewise, for a request that needs a capability the client's _meta does
// not declare: the call is answered with kMissingClientCapability.
struct CapabilityMissing {
  std::string capability;
};

// A stateless caller's answers to `requests`. Throws CapabilityMissing for
// a request its _meta does not declare the capability of, else
// InputRequired naming those not answered yet.
std::map<std::string, nlohmann::json> statelessInputs(const Caller& caller,
                                                      const std::map<std::string, InputRequest>& requests);

// Throws CapabilityMissing unless the caller declared what `requests` need.
void requireCapabilities(const Caller& caller, const std::map<std::string, InputRequest>& requests);

// The -32021 error message answering a request that needs `missing`.
nlohmann::json capabilityError(const nlohmann::json& id, const CapabilityMissing& missing);

// Likewise, through a task's handler waiting for input when the task was
// cancelled or expired meanwhile: there is nothing left to record.
struct TaskEnded {};

}  // namespace mcp

struct McpServer::Impl {
  using json = nlohmann::json;
  using RpcError = mcp::RpcError;

  Impl(Hub& h, ServerInfo i)
      : hub(h), store(h.store()), info(std::move(i)), tool_threads(2, mcp::kMaxToolThreads, mcp::kToolThreadIdleSeconds) {}

  // A tool call in progress, found by notifications/cancelled and by
  // shutdown.
  struct Call {
    std::shared_ptr<std::atomic<bool>> cancelled;
    std::shared_ptr<mcp::CallStream> stream;
    json id;
  };

  class Context;

  // The result of a request answered at once (all but initialize and
  // tools/call; `name` is the method's, for messages); throws RpcError for
  // the client's errors.
  json resultOf(const std::string& session_id, mcp::Method method, const std::string& name,
                const json& params);

  bool isStopping() {
    std::lock_guard<std::mutex> lock(mutex);
    return stopping;
  }

  void answer(const std::string& session, StreamId stream, const json& message) {
    hub.publishAndClose(session, stream, "message", message.dump());
  }

  json initializeResult(const std::string& version) {
    json capabilities = {{"tools", {{"listChanged", true}}}, {"logging", json::object()}};
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (!prompts.empty()) capabilities["prompts"] = {{"listChanged", true}};
      if (!resources.empty() || !templates.empty()) {
        capabilities["resources"] = {{"subscribe", true}, {"listChanged", true}};
      }
      if (!prompts.empty() || !templates.empty()) capabilities["completions"] = json::object();
    }
    json result = {{"protocolVersion", version},
                   {"capabilities", std::move(capabilities)},
                   {"serverInfo", {{"name", info.name}, {"version", info.version}}}};
    if (!info.instructions.empty()) result["instructions"] = info.instructions;
    return result;
  }

  json listTools(const json& params) {
    std::lock_guard<std::mutex> lock(mutex);
    return mcp::listPage(tools, params, "tools", [](const Tool& t) {
      json entry = {{"name", t.name}, {"description", t.description}, {"inputSchema", t.input_schema}};
      if (!t.title.empty()) entry["title"] = t.title;
      if (t.output_schema) entry["outputSchema"] = *t.output_schema;
      if (t.task_support != TaskSupport::kForbidden) {
        entry["execution"] = {{"taskSupport", t.task_support == TaskSupport::kRequired ? "required" : "optional"}};
      }
      return entry;
    });
  }

  json listPrompts(const json& params) {
    std::lock_guard<std::mutex> lock(mutex);
    return mcp::listPage(prompts, params, "prompts", mcp::describePrompt);
  }

  json getPrompt(const json& params, InputContext* inputs = nullptr) {
    const std::string& name = mcp::requireString(params, "name", "prompts/get");
    Prompt prompt;
    {
      std::lock_guard<std::mutex> lock(mutex);
      const auto found = prompts.find(name);
      if (found == prompts.end()) throw RpcError(mcp::kInvalidParams, "unknown prompt '" + name + "'");
      prompt = found->second;  // a copy: the handler runs without the lock
    }
    return mcp::getPrompt(prompt, params, inputs);
  }

  void setLevel(const std::string& session, const json& params) {
    const auto level = params.find("level");
    if (level == params.end() || !level->is_string() || mcp::logLevelIndex(*level) < 0) {
      throw RpcError(mcp::kInvalidParams,
                     "\"level\" must be one of debug, info, notice, warning, error, critical, "
                     "alert, emergency");
    }
    std::lock_guard<std::mutex> lock(mutex);
    log_levels[session] = mcp::logLevelIndex(*level);
  }

  int minimumLogLevel(const std::string& session) {
    std::lock_guard<std::mutex> lock(mutex);
    const auto it = log_levels.find(session);
    return it == log_levels.end() ? 0 : it->second;
  }

  // Adds or replaces an entry of a registry. Once serving, tells every
  // session that the list changed.
  template <typename Item>
  void add(std::map<std::string, Item>& registry, const std::string& key, Item item,
           const char* list) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      registry.insert_or_assign(key, std::move(item));
    }
    if (serving) {
      const std::string method = std::string("notifications/") + list + "/list_changed";
      hub.broadcast("message", mcp::notificationMessage(method, json::object()).dump());
    }
  }

  json listResources(const json& params) {
    std::lock_guard<std::mutex> lock(mutex);
    return mcp::listPage(resources, params, "resources", mcp::describeResource);
  }

  json listTemplates(const json& params) {
    std::lock_guard<std::mutex> lock(mutex);
    return mcp::listPage(templates, params, "resourceTemplates", mcp::describeTemplate);
  }

  json readResource(const json& params) {
    const std::string uri = mcp::requireUri(params, "resources/read");
    std::pair<ResourceReader, std::map<std::string, std::string>> reader;
    {
      std::lock_guard<std::mutex> lock(mutex);
      reader = mcp::findReader(resources, templates, uri);
    }
    return mcp::readResource(reader.first, uri, reader.second);
  }

  json complete(const json& params) {
    mcp::CompletionRequest request;
    {
      std::lock_guard<std::mutex> lock(mutex);
      request = mcp::findCompletion(prompts, templates, params);
    }
    return mcp::complete(request);
  }

  // Starts the call; returns its stream once the tool has answered or
  // kAnswerWithin has passed (see CallStream).
  StreamId startToolCall(const std::string& session, const std::string& request_ids,
                         const json& id, const json& params, const mcp::Caller& caller);
  // Runs the handler and records its answer: on the call's stream, or in
  // its task (`task_id`: a task run again after a restart; or the one the
  // handler starts).
  void runToolCall(const std::string& session, mcp::CallStream& stream, const json& id,
                   const json& arguments, const Tool& tool, const json& progress_token,
                   const std::shared_ptr<std::atomic<bool>>& cancelled, const mcp::Caller& caller,
                   const std::string& task_id = std::string());
  // What the call's handler came to, as the call's response message.
  json toolAnswer(const json& id, const json& arguments, const Tool& tool, Context& context,
                  const mcp::Caller& caller);

  // ---- The stateless era (stateless_requests.cc) ----

  Dispatch handleStateless(const json& request);
  // The session stateless requests are streamed in: made at the first one
  // (and again if it expired), never named to a client.
  std::string statelessSession();
  void forgetStatelessSession(const std::string& id);
  json discoverResult();
  json serverInfoJson() const { return {{"name", info.name}, {"version", info.version}}; }
  // The caller of a stateless tools/call: its _meta, and the answers of
  // this round (inputResponses) and earlier ones (requestState, checked).
  mcp::Caller statelessCaller(const std::string& method, const json& params, const json& meta_capabilities,
                              int log_level);
  // The input_required result asking what `asked` names, with the state
  // carrying the caller's answers so far.
  json inputRequiredResult(const mcp::InputRequired& asked, const mcp::Caller& caller, mcp::Method method);
  mcp::RequestStateSigner& signer();

  // ---- Tasks (task_calls.cc) ----

  // Records a task's outcome: the call's answer (a result completes it, an
  // error fails it), or, `stopped`, the server stopping before it finished.
  void finishTask(const std::string& task_id, const json& answer, bool stopped);
  // notifications/tasks with the task as it is now, for listeners.
  void announceTask(const std::string& task_id);
  // tasks/get, tasks/update, tasks/cancel of a caller with `capabilities`.
  json taskRequest(mcp::Method method, const json& params, const json& capabilities);
  // Fails (or runs again) the tasks a dead server left unfinished.
  void recoverTasks();
  // recoverTasks at the first request (the program's tools are registered
  // by then), and on a shared database again every half lease after, as
  // other replicas may die while this one serves; a request that comes
  // while it runs waits for it.
  void recoverTasksWhenDue();
  // A client's response or cancellation, for a request or call here: true
  // when it was taken (or needs no one), false when none here waits for it.
  bool receive(const std::string& session_id, const nlohmann::json& message);

  Hub& hub;
  Store& store;
  const ServerInfo info;

  std::mutex mutex;
  std::map<std::string, Tool> tools;  // by name: a stable order for pagination
  std::map<std::string, Prompt> prompts;  // likewise
  std::map<std::string, Resource> resources;           // by URI
  std::map<std::string, mcp::TemplateEntry> templates;  // by template text
  std::atomic<bool> serving{false};  // a request has come: changes are announced
  mcp::ClientRequests client_requests;  // sampling, elicitation, roots in flight
  std::unordered_map<std::string, int> log_levels;       // session -> minimum level
  std::map<std::pair<std::string, std::string>, Call> calls;  // (session, id) -> call
  std::condition_variable calls_ended;  // a call left `calls`
  bool stopping = false;
  Poco::ThreadPool tool_threads;
  std::unique_ptr<mcp::ServedFile> file;  // the file is ours while it lives
  // Shared database: what clients sent other replicas for calls here.
  std::unique_ptr<mcp::ReplicaInbox> inbox;

  std::mutex stateless_mutex;
  std::string stateless_session;  // "" until the first stateless request
  std::unique_ptr<mcp::RequestStateSigner> state_signer;  // made at first use
  std::atomic<uint64_t> stateless_calls{0};  // keys `calls` (clients' ids may repeat)
  mcp::Listeners listeners{hub};
  mcp::RunningTasks running_tasks;
  std::mutex recovery_mutex;
  std::optional<std::chrono::steady_clock::time_point> tasks_recovered_at;
};

}  // namespace mcpkeep
