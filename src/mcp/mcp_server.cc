// McpServer: dispatches requests by method; runs tools on pooled threads;
// every answer goes to the request's stream through the Hub.
#include <mcpkeep/mcp_server.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <unordered_map>

#include <Poco/Exception.h>
#include <Poco/Runnable.h>
#include <Poco/ThreadPool.h>

#include "mcp/json_rpc.h"
#include "mcp/client_requests.h"
#include "mcp/completion.h"
#include "mcp/list_page.h"
#include "mcp/prompts.h"
#include "mcp/resources.h"
#include "mcp/tool_result.h"
#include "mcp/uri_template.h"
#include "mcp/protocol_version.h"

namespace mcpkeep {
namespace {

using nlohmann::json;
using mcp::RpcError;

// RFC 5424 levels, as MCP names them, least severe first.
const std::vector<std::string>& logLevels() {
  static const std::vector<std::string> levels = {"debug",    "info",  "notice", "warning",
                                                  "error",    "critical", "alert", "emergency"};
  return levels;
}

int logLevelIndex(const std::string& level) {
  const auto& levels = logLevels();
  const auto it = std::find(levels.begin(), levels.end(), level);
  return it == levels.end() ? -1 : static_cast<int>(it - levels.begin());
}

// The "uri" param of a resources/* request.
std::string requireUri(const json& params, const std::string& method) {
  const auto uri = params.find("uri");
  if (uri == params.end() || !uri->is_string() || uri->get_ref<const std::string&>().empty()) {
    throw RpcError(mcp::kInvalidParams, method + " needs \"uri\", a non-empty string");
  }
  return uri->get<std::string>();
}

// Tool calls run at once, each on a thread of its own (a handler may block
// for long); threads are reused, and those idle for a minute end.
const int kMaxToolThreads = 4096;
const int kToolThreadIdleSeconds = 60;

// A task for Poco::ThreadPool, which takes a Runnable it does not own: this
// one deletes itself when done.
class OneShot : public Poco::Runnable {
 public:
  explicit OneShot(std::function<void()> task) : task_(std::move(task)) {}
  void run() override {
    task_();
    delete this;
  }

 private:
  std::function<void()> task_;
};

}  // namespace

struct McpServer::Impl {
  Impl(Hub& h, ServerInfo i)
      : hub(h), store(h.store()), info(std::move(i)), tool_threads(2, kMaxToolThreads, kToolThreadIdleSeconds) {}

  // A tool call in progress, found by notifications/cancelled.
  struct Call {
    std::shared_ptr<std::atomic<bool>> cancelled;
  };

  class Context;

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
      return entry;
    });
  }

  json listPrompts(const json& params) {
    std::lock_guard<std::mutex> lock(mutex);
    return mcp::listPage(prompts, params, "prompts", mcp::describePrompt);
  }

  json getPrompt(const json& params) {
    const auto name = params.find("name");
    if (name == params.end() || !name->is_string()) {
      throw RpcError(mcp::kInvalidParams, "prompts/get needs \"name\", a string");
    }
    Prompt prompt;
    {
      std::lock_guard<std::mutex> lock(mutex);
      const auto found = prompts.find(name->get<std::string>());
      if (found == prompts.end()) {
        throw RpcError(mcp::kInvalidParams, "unknown prompt '" + name->get<std::string>() + "'");
      }
      prompt = found->second;  // a copy: the handler runs without the lock
    }
    return mcp::getPrompt(prompt, params);
  }

  void setLevel(const std::string& session, const json& params) {
    const auto level = params.find("level");
    if (level == params.end() || !level->is_string() || logLevelIndex(*level) < 0) {
      throw RpcError(mcp::kInvalidParams,
                     "\"level\" must be one of debug, info, notice, warning, error, critical, "
                     "alert, emergency");
    }
    std::lock_guard<std::mutex> lock(mutex);
    log_levels[session] = logLevelIndex(*level);
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
    const std::string uri = requireUri(params, "resources/read");
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

  void startToolCall(const std::string& session, StreamId stream, const json& id,
                     const json& params);
  void runToolCall(const std::string& session, StreamId stream, const json& id,
                   const json& arguments, const Tool& tool, const json& progress_token,
                   const std::shared_ptr<std::atomic<bool>>& cancelled);

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
  bool stopping = false;
  Poco::ThreadPool tool_threads;
};

class McpServer::Impl::Context : public ToolContext {
 public:
  Context(Impl& server, std::string session, StreamId stream, json progress_token,
          std::shared_ptr<std::atomic<bool>> cancelled)
      : server_(server),
        session_(std::move(session)),
        stream_(stream),
        progress_token_(std::move(progress_token)),
        cancelled_(std::move(cancelled)) {}

  void progress(double progress, std::optional<double> total, const std::string& message) override {
    if (progress_token_.is_null()) return;
    json params = {{"progressToken", progress_token_}, {"progress", progress}};
    if (total) params["total"] = *total;
    if (!message.empty()) params["message"] = message;
    send(mcp::notificationMessage("notifications/progress", params));
  }

  void log(const std::string& level, const json& data, const std::string& logger) override {
    const int index = logLevelIndex(level);
    if (index < 0) throw std::invalid_argument("unknown log level '" + level + "'");
    if (index < server_.minimumLogLevel(session_)) return;
    json params = {{"level", level}, {"data", data}};
    if (!logger.empty()) params["logger"] = logger;
    send(mcp::notificationMessage("notifications/message", params));
  }

  bool cancelled() const override { return cancelled_->load(); }
  const std::string& sessionId() const override { return session_; }
  void closeSseStream() override { server_.hub.disconnect(session_, stream_); }

  json request(const std::string& method, const json& params,
               std::chrono::milliseconds timeout) override {
    const std::string capability = mcp::requiredCapability(method);
    if (!capability.empty()) {
      const auto session = server_.store.session(session_);
      const json declared = json::parse(
          session && session->client_capabilities ? *session->client_capabilities : "{}", nullptr, false);
      if (!declared.is_object() || !declared.contains(capability)) {
        throw ClientRequestError("the client did not declare the '" + capability +
                                 "' capability that " + method + " needs");
      }
      // URL-mode elicitation is declared on its own (elicitation.url).
      if (method == "elicitation/create" && params.value("mode", "form") == "url" &&
          !(declared[capability].is_object() && declared[capability].contains("url"))) {
        throw ClientRequestError("the client did not declare URL-mode elicitation (elicitation.url)");
      }
    }
    mcp::ClientRequests& requests = server_.client_requests;
    const json id = requests.newId(stream_);
    requests.expect(session_, id);
    try {
      send({{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}});
    } catch (...) {
      requests.forget(session_, id);
      throw;
    }
    const std::optional<json> response = requests.await(session_, id, std::chrono::steady_clock::now() + timeout,
                              [this] { return cancelled(); });
    if (!response) {
      const std::string why = cancelled() ? "the tool call was cancelled" : "no answer in time";
      try {
        send(mcp::notificationMessage("notifications/cancelled", {{"requestId", id}, {"reason", why}}));
      } catch (const Error&) {
        // The session is gone; so is the client to tell.
      }
      throw ClientRequestError(method + " got no response: " + why);
    }
    if (const auto error = response->find("error"); error != response->end()) {
      throw ClientRequestError("the client answered " + method + " with error " +
                               error->value("code", json()).dump() + ": " +
                               error->value("message", std::string()));
    }
    return response->value("result", json::object());
  }

 private:
  void send(const json& message) {
    server_.hub.publish(session_, stream_, "message", message.dump());
  }

  Impl& server_;
  const std::string session_;
  const StreamId stream_;
  const json progress_token_;
  const std::shared_ptr<std::atomic<bool>> cancelled_;
};

void McpServer::Impl::startToolCall(const std::string& session, StreamId stream, const json& id,
                                    const json& params) {
  const auto name = params.find("name");
  if (name == params.end() || !name->is_string()) {
    throw RpcError(mcp::kInvalidParams, "tools/call needs \"name\", a string");
  }
  json arguments = params.value("arguments", json::object());
  if (!arguments.is_object()) {
    throw RpcError(mcp::kInvalidParams, "\"arguments\" must be an object");
  }
  json progress_token;
  if (const auto meta = params.find("_meta"); meta != params.end() && meta->is_object()) {
    progress_token = meta->value("progressToken", json());
  }

  std::lock_guard<std::mutex> lock(mutex);
  if (stopping) throw RpcError(mcp::kInternalError, "the server is shutting down");
  const auto tool = tools.find(name->get<std::string>());
  if (tool == tools.end()) {
    throw RpcError(mcp::kInvalidParams, "unknown tool '" + name->get<std::string>() + "'");
  }
  auto cancelled = std::make_shared<std::atomic<bool>>(false);
  const auto key = std::make_pair(session, id.dump());
  auto task = std::make_unique<OneShot>(
      [this, session, stream, id, arguments = std::move(arguments),
       tool = tool->second, progress_token, cancelled] {
        runToolCall(session, stream, id, arguments, tool, progress_token, cancelled);
      });
  calls[key] = Call{cancelled};  // the task erases it, after this lock is released
  try {
    tool_threads.start(*task);
  } catch (const Poco::NoThreadAvailableException&) {
    calls.erase(key);
    throw RpcError(mcp::kInternalError, "too many tool calls are running; try again later");
  }
  task.release();  // it deletes itself when it has run
}

void McpServer::Impl::runToolCall(const std::string& session, StreamId stream, const json& id,
                                  const json& arguments, const Tool& tool,
                                  const json& progress_token,
                                  const std::shared_ptr<std::atomic<bool>>& cancelled) {
  Context context(*this, session, stream, progress_token, cancelled);
  json result;
  try {
    result = mcp::toolResult(tool, tool.handler(arguments, context));
  } catch (const std::exception& e) {
    result = mcp::toolError(e.what());
  }
  try {
    // A cancelled request gets no response (MCP cancellation), but its
    // stream still ends.
    if (cancelled->load()) {
      hub.closeStream(session, stream);
    } else {
      answer(session, stream, mcp::resultMessage(id, result));
    }
  } catch (const std::exception&) {
    // The session was deleted meanwhile: no one is left to answer.
  }
  std::lock_guard<std::mutex> lock(mutex);
  calls.erase(std::make_pair(session, id.dump()));
}

McpServer::McpServer(Hub& hub, ServerInfo info) : impl_(std::make_unique<Impl>(hub, std::move(info))) {}

McpServer::~McpServer() { shutdown(); }

Hub& McpServer::hub() { return impl_->hub; }

void McpServer::addTool(Tool tool) {
  if (tool.name.empty() || !tool.handler) throw std::invalid_argument("a tool needs a name and a handler");
  const std::string key = tool.name;
  impl_->add(impl_->tools, key, std::move(tool), "tools");
}

void McpServer::addPrompt(Prompt prompt) {
  if (prompt.name.empty() || !prompt.handler) {
    throw std::invalid_argument("a prompt needs a name and a handler");
  }
  const std::string key = prompt.name;
  impl_->add(impl_->prompts, key, std::move(prompt), "prompts");
}

void McpServer::addResource(Resource resource) {
  if (resource.uri.empty() || resource.name.empty() || !resource.handler) {
    throw std::invalid_argument("a resource needs a uri, a name and a handler");
  }
  const std::string key = resource.uri;
  impl_->add(impl_->resources, key, std::move(resource), "resources");
}

void McpServer::addResourceTemplate(ResourceTemplate resource_template) {
  if (resource_template.name.empty() || !resource_template.handler) {
    throw std::invalid_argument("a resource template needs a name and a handler");
  }
  mcp::UriTemplate parsed(resource_template.uri_template);  // throws if it is not level 1
  const std::string key = resource_template.uri_template;
  impl_->add(impl_->templates, key, mcp::TemplateEntry{std::move(resource_template), std::move(parsed)},
             "resources");
}

int McpServer::notifyResourceUpdated(const std::string& uri) {
  const std::string message =
      mcp::notificationMessage("notifications/resources/updated", {{"uri", uri}}).dump();
  int reached = 0;
  for (const std::string& session : impl_->store.resourceSubscribers(uri)) {
    try {
      impl_->hub.publish(session, "message", message);
      ++reached;
    } catch (const Error& e) {
      if (e.code() != ErrorCode::kNotFound) throw;  // the session ended meanwhile
    }
  }
  return reached;
}

McpServer::Dispatch McpServer::handleRequest(const std::string& session_id, const json& request) {
  Impl& s = *impl_;
  s.serving = true;
  const std::string method = request.at("method").get<std::string>();
  const json& id = request.at("id");
  const std::string request_ids = json::array({id}).dump();

  if (method == "initialize") {
    const json* params = nullptr;
    std::string error;
    try {
      params = &mcp::paramsOf(request);
      if (!params->contains("protocolVersion") || !(*params)["protocolVersion"].is_string()) {
        error = "initialize needs \"protocolVersion\", a string";
      }
    } catch (const RpcError& e) {
      error = e.what();
    }
    if (!error.empty()) {
      Dispatch refused;
      refused.rejection = mcp::errorMessage(id, mcp::kInvalidParams, error);
      return refused;
    }
    const std::string version =
        mcp::negotiateProtocolVersion((*params)["protocolVersion"].get<std::string>());
    const Session session = s.store.createSession();
    s.store.markInitialized(session.id, version,
                            params->value("capabilities", json::object()).dump(),
                            params->value("clientInfo", json::object()).dump());
    const StreamId stream = s.store.openRequestStream(session.id, request_ids);
    s.answer(session.id, stream, mcp::resultMessage(id, s.initializeResult(version)));
    return {session.id, stream, std::nullopt};
  }

  const StreamId stream = s.store.openRequestStream(session_id, request_ids);
  try {
    const json& params = mcp::paramsOf(request);
    if (method == "ping") {
      s.answer(session_id, stream, mcp::resultMessage(id, json::object()));
    } else if (method == "tools/list") {
      s.answer(session_id, stream, mcp::resultMessage(id, s.listTools(params)));
    } else if (method == "tools/call") {
      s.startToolCall(session_id, stream, id, params);
    } else if (method == "prompts/list") {
      s.answer(session_id, stream, mcp::resultMessage(id, s.listPrompts(params)));
    } else if (method == "prompts/get") {
      s.answer(session_id, stream, mcp::resultMessage(id, s.getPrompt(params)));
    } else if (method == "resources/list") {
      s.answer(session_id, stream, mcp::resultMessage(id, s.listResources(params)));
    } else if (method == "resources/templates/list") {
      s.answer(session_id, stream, mcp::resultMessage(id, s.listTemplates(params)));
    } else if (method == "resources/read") {
      s.answer(session_id, stream, mcp::resultMessage(id, s.readResource(params)));
    } else if (method == "resources/subscribe") {
      s.store.subscribeResource(session_id, requireUri(params, method));
      s.answer(session_id, stream, mcp::resultMessage(id, json::object()));
    } else if (method == "resources/unsubscribe") {
      s.store.unsubscribeResource(session_id, requireUri(params, method));
      s.answer(session_id, stream, mcp::resultMessage(id, json::object()));
    } else if (method == "completion/complete") {
      s.answer(session_id, stream, mcp::resultMessage(id, s.complete(params)));
    } else if (method == "logging/setLevel") {
      s.setLevel(session_id, params);
      s.answer(session_id, stream, mcp::resultMessage(id, json::object()));
    } else {
      throw RpcError(mcp::kMethodNotFound, "unknown method '" + method + "'");
    }
  } catch (const RpcError& e) {
    s.answer(session_id, stream, mcp::errorMessage(id, e.code(), e.what(), e.data()));
  }
  return {session_id, stream, std::nullopt};
}

void McpServer::handleNotification(const std::string& session_id, const json& message) {
  if (!message.contains("method")) {
    // A response to a request of ours; one nobody waits for (it timed out,
    // or a restart came between) is dropped.
    impl_->client_requests.deliver(session_id, message);
    return;
  }
  if (message.value("method", "") != "notifications/cancelled") return;
  const json& params = mcp::paramsOf(message);
  const auto request_id = params.find("requestId");
  if (request_id == params.end()) return;
  std::lock_guard<std::mutex> lock(impl_->mutex);
  const auto call = impl_->calls.find({session_id, request_id->dump()});
  if (call != impl_->calls.end()) call->second.cancelled->store(true);
}

int McpServer::recoverInterruptedRequests() {
  Store& store = impl_->store;
  int answered = 0;
  for (const Stream& stream : store.openRequestStreams()) {
    json pending = json::parse(stream.request_ids.value_or("[]"), nullptr, false);
    if (!pending.is_array()) pending = json::array();
    const Replay replay = store.eventsAfter(stream.session_id, EventId{stream.id, 0});
    for (const Event& event : replay.events) {
      const json message = json::parse(event.data, nullptr, false);
      if (!message.is_object() || !message.contains("id") || message.contains("method")) continue;
      pending.erase(std::remove(pending.begin(), pending.end(), message["id"]), pending.end());
    }
    for (const json& id : pending) {
      store.append(stream.session_id, stream.id, "message",
                   mcp::errorMessage(id, mcp::kInternalError,
                                     "request interrupted: the server stopped before it "
                                     "finished; send it again")
                       .dump());
      ++answered;
    }
    store.closeStream(stream.session_id, stream.id, StreamState::kInterrupted);
  }
  return answered;
}

void McpServer::shutdown() {
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->stopping = true;
    for (auto& [key, call] : impl_->calls) call.cancelled->store(true);
  }
  impl_->tool_threads.joinAll();
}

}  // namespace mcpkeep
