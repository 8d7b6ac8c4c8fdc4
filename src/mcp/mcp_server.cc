// McpServer: the public methods and request dispatch. Every answer goes to
// the request's stream through the Hub; tool calls run in tool_calls.cc.
#include <mcpkeep/mcp_server.h>

#include <algorithm>

#include "mcp/mcp_server_impl.h"
#include "mcp/protocol_version.h"
#include "mcp/methods.h"
#include "mcp/mirrored_params.h"
#include "mcp/session_lifecycle.h"
#include "mcp/stateless_era.h"
#include "mcp/uri_template.h"

namespace mcpkeep {

using nlohmann::json;
using mcp::RpcError;

namespace mcp {

std::string requireUri(const json& params, const std::string& method) {
  const std::string& uri = requireString(params, "uri", method);
  if (uri.empty()) throw RpcError(kInvalidParams, method + " needs \"uri\", a non-empty string");
  return uri;
}

}  // namespace mcp

McpServer::McpServer(Hub& hub, ServerInfo info) : impl_(std::make_unique<Impl>(hub, std::move(info))) {
  impl_->file = std::make_unique<mcp::ServedFile>(impl_->store);
  if (!impl_->store.shared()) return;
  Impl& s = *impl_;
  s.inbox = std::make_unique<mcp::ReplicaInbox>(
      s.store,
      [&s] {
        std::lock_guard<std::mutex> lock(s.mutex);
        return !s.calls.empty();
      },
      [&s](const std::string& session, const json& message) { s.receive(session, message); });
}

McpServer::~McpServer() { shutdown(); }

Hub& McpServer::hub() { return impl_->hub; }

void McpServer::setAddress(const std::string& url) { impl_->file->describe(url); }

std::vector<Dispatcher::MirroredParam> McpServer::mirroredParams(const std::string& tool) {
  json schema;
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    const auto found = impl_->tools.find(tool);
    if (found == impl_->tools.end()) return {};
    schema = found->second.input_schema;
  }
  return mcp::mirroredParams(schema);
}

bool McpServer::endSession(const std::string& session_id) { return mcp::endSession(impl_->hub, session_id); }

void McpServer::addTool(Tool tool) {
  if (tool.name.empty() || !tool.handler) throw std::invalid_argument("a tool needs a name and a handler");
  try {
    mcp::mirroredParams(tool.input_schema);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument("tool '" + tool.name + "': " + e.what());
  }
  const std::string key = tool.name;
  impl_->add(impl_->tools, key, std::move(tool), "tools");
}

void McpServer::addPrompt(Prompt prompt) {
  if (prompt.name.empty() || (!prompt.handler && !prompt.asking_handler)) {
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

json McpServer::Impl::resultOf(const std::string& session_id, mcp::Method method,
                               const std::string& name, const json& params) {
  switch (method) {
    case mcp::Method::kPing:
      return json::object();
    case mcp::Method::kToolsList:
      return listTools(params);
    case mcp::Method::kPromptsList:
      return listPrompts(params);
    case mcp::Method::kPromptsGet:
      return getPrompt(params);
    case mcp::Method::kResourcesList:
      return listResources(params);
    case mcp::Method::kResourcesTemplatesList:
      return listTemplates(params);
    case mcp::Method::kResourcesRead:
      return readResource(params);
    case mcp::Method::kResourcesSubscribe:
      store.subscribeResource(session_id, mcp::requireUri(params, name));
      return json::object();
    case mcp::Method::kResourcesUnsubscribe:
      store.unsubscribeResource(session_id, mcp::requireUri(params, name));
      return json::object();
    case mcp::Method::kCompletionComplete:
      return complete(params);
    case mcp::Method::kLoggingSetLevel:
      setLevel(session_id, params);
      return json::object();
    case mcp::Method::kServerDiscover:
      return discoverResult();
    case mcp::Method::kInitialize:
    case mcp::Method::kToolsCall:
    case mcp::Method::kSubscriptionsListen:
    case mcp::Method::kTasksGet:
    case mcp::Method::kTasksUpdate:
    case mcp::Method::kTasksCancel:
      break;  // not answered here (handleRequest, handleStateless)
  }
  throw std::logic_error(name + " is not answered at once");
}

McpServer::Dispatch McpServer::handleRequest(const std::string& session_id, const json& request) {
  Impl& s = *impl_;
  s.serving = true;
  s.recoverTasksWhenDue();
  if (session_id.empty() && mcp::carriesRequestMeta(request)) return s.handleStateless(request);
  const std::string method = request.at("method").get<std::string>();
  const json& id = request.at("id");
  const std::string request_ids = json::array({id}).dump();

  std::optional<mcp::Method> known = mcp::findMethod(method);
  if (known && !mcp::inSessionEra(*known)) known.reset();  // a stateless-era method
  if (known == mcp::Method::kInitialize) {
    const mcp::InitializeParams checked = mcp::initializeParams(request);
    if (!checked.params) {
      Dispatch refused;
      refused.rejection = checked.refusal;
      return refused;
    }
    const json* params = checked.params;
    const std::string version =
        mcp::negotiateProtocolVersion((*params)["protocolVersion"].get<std::string>());
    const Session session = mcp::beginSession(s.store, *params, version);
    const StreamId stream = s.hub.openAndAnswer(session.id, request_ids, "message",
                                                mcp::resultMessage(id, s.initializeResult(version)).dump());
    return {session.id, stream, std::nullopt};
  }

  if (known == mcp::Method::kToolsCall) {
    try {
      return {session_id, s.startToolCall(session_id, request_ids, id, mcp::paramsOf(request), mcp::Caller()),
              std::nullopt};
    } catch (const RpcError& e) {
      const json refusal = mcp::errorMessage(id, e.code(), e.what(), e.data());
      return {session_id, s.hub.openAndAnswer(session_id, request_ids, "message", refusal.dump()), std::nullopt};
    }
  }
  // Everything else is answered at once: its stream is opened, answered and
  // closed in one commit. A store failure throws (the transport says so;
  // the client may send the request again) and leaves no stream.
  json message;
  try {
    if (!known) throw RpcError(mcp::kMethodNotFound, "unknown method '" + method + "'");
    message = mcp::resultMessage(id, s.resultOf(session_id, *known, method, mcp::paramsOf(request)));
  } catch (const RpcError& e) {
    message = mcp::errorMessage(id, e.code(), e.what(), e.data());
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    message = mcp::errorMessage(id, mcp::kInternalError, method + " failed: " + e.what());
  }
  const StreamId stream = s.hub.openAndAnswer(session_id, request_ids, "message", message.dump());
  return {session_id, stream, std::nullopt};
}

void McpServer::handleNotification(const std::string& session_id, const json& message) {
  // A response to a request of ours, or a cancellation: taken here, or by
  // the replica that waits for it.
  if (!impl_->receive(session_id, message)) mcp::leaveForWaitingReplica(impl_->store, session_id, message);
}

bool McpServer::Impl::receive(const std::string& session_id, const json& message) {
  if (!message.contains("method")) return client_requests.deliver(session_id, message);
  if (message.value("method", "") != "notifications/cancelled") return true;  // nothing to pass on
  const json& params = mcp::paramsOf(message);
  const auto request_id = params.find("requestId");
  if (request_id == params.end()) return true;
  std::lock_guard<std::mutex> lock(mutex);
  const auto call = calls.find({session_id, request_id->dump()});
  if (call == calls.end()) return false;
  call->second.cancelled->store(true);
  return true;
}

void McpServer::abandon(const std::string& session_id, StreamId stream) {
  Impl& s = *impl_;
  if (s.listeners.remove(session_id, stream)) {
    try {
      s.hub.closeStream(session_id, stream);
    } catch (const Error&) {
      // Closed meanwhile, or the session is gone.
    }
    return;
  }
  // A tool call: closing its response is its cancellation (2026-07-28).
  std::lock_guard<std::mutex> lock(s.mutex);
  for (auto& [key, call] : s.calls) {
    if (key.first == session_id && call.stream->openedAs() == stream) call.cancelled->store(true);
  }
}

void McpServer::shutdown(std::chrono::milliseconds grace) {
  Impl& s = *impl_;
  s.listeners.stop();
  std::vector<std::pair<std::string, Impl::Call>> unfinished;
  {
    std::unique_lock<std::mutex> lock(s.mutex);
    s.stopping = true;
    s.calls_ended.wait_for(lock, grace, [&] { return s.calls.empty(); });
    for (auto& [key, call] : s.calls) {
      call.cancelled->store(true);
      unfinished.emplace_back(key.first, call);
    }
  }
  // Answered here, not by the handlers: one that ignores cancellation must
  // not keep the answer from the store. Whichever of this and a handler's
  // own answer commits first ends the stream; the other finds it closed.
  for (const auto& [session, call] : unfinished) {
    if (call.id.is_null()) continue;  // a task run again after a restart: it has no stream to answer
    try {
      call.stream->answer(mcp::interruptedError(call.id).dump());
    } catch (const Error&) {
      // Answered meanwhile, or the session is gone: nothing is owed.
    }
  }
  s.tool_threads.joinAll();
}

}  // namespace mcpkeep
