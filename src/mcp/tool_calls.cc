// Running tool calls: each on a pooled thread with a ToolContext that
// publishes its progress, logs and requests to the client on the call's
// stream, then the result.
#include <algorithm>
#include <thread>

#include <Poco/Exception.h>
#include <Poco/Runnable.h>

#include "mcp/call_context.h"
#include "mcp/pool_task.h"
#include "mcp/stateless_era.h"
#include "mcp/task_json.h"
#include "mcp/tool_result.h"

namespace mcpkeep {

using nlohmann::json;
using mcp::RpcError;

void McpServer::Impl::Context::progress(double progress, std::optional<double> total, const std::string& message) {
  if (progress_token_.is_null() || !task_id_.empty()) return;  // a task sends none
  json params = {{"progressToken", progress_token_}, {"progress", progress}};
  if (total) params["total"] = *total;
  if (!message.empty()) params["message"] = message;
  send(mcp::notificationMessage("notifications/progress", params));
}

void McpServer::Impl::Context::log(const std::string& level, const json& data, const std::string& logger) {
  const int index = mcp::logLevelIndex(level);
  if (index < 0) throw std::invalid_argument("unknown log level '" + level + "'");
  if (!task_id_.empty()) return;  // a task sends none
  const int minimum = caller_.stateless ? caller_.log_level : server_.minimumLogLevel(session_);
  if (minimum < 0 || index < minimum) return;
  json params = {{"level", level}, {"data", data}};
  if (!logger.empty()) params["logger"] = logger;
  send(mcp::notificationMessage("notifications/message", params));
}

void McpServer::Impl::Context::closeSseStream() {
  if (task_id_.empty()) server_.hub.disconnect(session_, stream_.open());
}

json McpServer::Impl::Context::clientCapabilities() const {
  if (caller_.stateless) return caller_.capabilities;
  const auto session = server_.store.session(session_);
  const json declared = json::parse(
      session && session->client_capabilities ? *session->client_capabilities : "{}", nullptr, false);
  return declared.is_object() ? declared : json::object();
}

std::map<std::string, json> McpServer::Impl::Context::requestInputs(const std::map<std::string, InputRequest>& requests) {
  std::map<std::string, json> results;
  if (!caller_.stateless) {
    for (const auto& [key, asked] : requests) results[key] = requestOnStream(asked.method, asked.params, std::chrono::seconds(60));
    return results;
  }
  if (task_id_.empty()) return mcp::statelessInputs(caller_, requests);
  mcp::requireCapabilities(caller_, requests);
  return requestFromTask(requests);
}

json McpServer::Impl::Context::request(const std::string& method, const json& params, std::chrono::milliseconds timeout) {
  if (!caller_.stateless) return requestOnStream(method, params, timeout);
  const std::string key = "input-" + std::to_string(++asked_);
  return requestInputs({{key, InputRequest{method, params}}}).at(key);
}

json McpServer::Impl::Context::requestOnStream(const std::string& method, const json& params,
                                               std::chrono::milliseconds timeout) {
  const std::string capability = mcp::requiredCapability(method);
  if (!capability.empty()) {
    const json declared = clientCapabilities();
    if (!declared.contains(capability)) {
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
  const json id = requests.newId(stream_.open());
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
    // A well-formed error is {code, message}; say what came either way.
    const bool formed = error->is_object() && error->contains("code") &&
                        error->contains("message") && error->at("message").is_string();
    throw ClientRequestError("the client answered " + method + " with error " +
                             (formed ? error->at("code").dump() + ": " +
                                           error->at("message").get<std::string>()
                                     : error->dump()));
  }
  return response->value("result", json::object());
}

void McpServer::Impl::Context::send(const json& message) {
  server_.hub.publish(session_, stream_.open(), "message", message.dump());
}

StreamId McpServer::Impl::startToolCall(const std::string& session, const std::string& request_ids,
                                        const json& id, const json& params, const mcp::Caller& caller) {
  const std::string& name = mcp::requireString(params, "name", "tools/call");
  json arguments = params.value("arguments", json::object());
  if (!arguments.is_object()) {
    throw RpcError(mcp::kInvalidParams, "\"arguments\" must be an object");
  }
  json progress_token;
  if (const auto meta = params.find("_meta"); meta != params.end() && meta->is_object()) {
    progress_token = meta->value("progressToken", json());
  }

  auto stream = std::make_shared<mcp::CallStream>(hub, session, request_ids);
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (stopping) throw RpcError(mcp::kInternalError, "the server is shutting down");
    const auto tool = tools.find(name);
    if (tool == tools.end()) throw RpcError(mcp::kInvalidParams, "unknown tool '" + name + "'");
    if (caller.stateless && tool->second.task_support == TaskSupport::kRequired && !caller.tasks) {
      throw RpcError(mcp::kMissingClientCapability,
                     "tool '" + name + "' runs only as a task: declare the client capability extensions." +
                         mcp::kTasksExtension,
                     mcp::tasksCapabilityMissing());
    }
    auto cancelled = std::make_shared<std::atomic<bool>>(false);
    // A stateless call's id is not unique in its session: many clients share it.
    const auto key = std::make_pair(session, caller.stateless ? "#" + std::to_string(++stateless_calls) : id.dump());
    calls[key] = Call{cancelled, stream, id};  // the task erases it, after this lock is released
    try {
      mcp::startOnPool(tool_threads, [this, session, stream, id, arguments = std::move(arguments),
                                      tool = tool->second, progress_token, cancelled, caller, key] {
        runToolCall(session, *stream, id, arguments, tool, progress_token, cancelled, caller);
        {
          std::lock_guard<std::mutex> lock(mutex);
          calls.erase(key);
        }
        calls_ended.notify_all();
      });
    } catch (const Poco::NoThreadAvailableException&) {
      calls.erase(key);
      throw RpcError(mcp::kInternalError, "too many tool calls are running; try again later");
    }
  }
  return stream->await(mcp::kAnswerWithin);
}

json McpServer::Impl::toolAnswer(const json& id, const json& arguments, const Tool& tool, Context& context,
                                  const mcp::Caller& caller) {
  json result;
  if (auto invalid = mcp::argumentsError(tool, arguments)) {
    result = std::move(*invalid);
  } else {
    try {
      result = mcp::toolResult(tool, tool.handler(arguments, context));
    } catch (const mcp::InputRequired& asked) {
      // The answers so far go with the state, so the next round has them all.
      return mcp::resultMessage(id, inputRequiredResult(asked, caller, mcp::Method::kToolsCall));
    } catch (const mcp::CapabilityMissing& missing) {
      return mcp::capabilityError(id, missing);
    } catch (const mcp::TaskEnded&) {
      return json();  // cancelled or expired while it waited: nothing to record
    } catch (const ToolProtocolError& e) {
      return mcp::errorMessage(id, e.code(), e.what(), e.data());
    } catch (const std::exception& e) {
      result = mcp::toolError(e.what());
    }
  }
  if (caller.stateless) result = mcp::statelessResult(std::move(result), mcp::Method::kToolsCall, serverInfoJson());
  return mcp::resultMessage(id, result);
}

void McpServer::Impl::runToolCall(const std::string& session, mcp::CallStream& stream, const json& id,
                                  const json& arguments, const Tool& tool,
                                  const json& progress_token,
                                  const std::shared_ptr<std::atomic<bool>>& cancelled, const mcp::Caller& caller,
                                  const std::string& task_id) {
  Context context(*this, session, stream, id, tool, arguments, progress_token, cancelled, caller, task_id);
  const json answer = toolAnswer(id, arguments, tool, context, caller);
  if (!context.taskId().empty()) {
    finishTask(context.taskId(), answer, cancelled->load() && isStopping());
    return;
  }
  // A storage fault (disk full, an I/O error, a lock held too long) may
  // clear, and the client is waiting for this answer: retry it for a while
  // rather than drop it. Other errors mean the session was deleted
  // meanwhile: no one is left to answer.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (auto pause = std::chrono::milliseconds(10);; pause = std::min(2 * pause, std::chrono::milliseconds(1000))) {
    try {
      // A request the client cancelled gets no response (MCP cancellation),
      // but its stream still ends. One cancelled by a stop owes the
      // interrupted answer, which shutdown() publishes too: whichever
      // commits first, the client gets it (closing the stream bare here
      // lost it when this came first).
      if (cancelled->load() && isStopping()) {
        stream.answer(mcp::interruptedError(id).dump());
      } else if (cancelled->load()) {
        stream.close();
      } else {
        stream.answer(answer.dump());
      }
      break;
    } catch (const Error& e) {
      if (!isTransient(e.code()) || std::chrono::steady_clock::now() > give_up || isStopping()) break;
    } catch (const std::exception&) {
      break;
    }
    std::this_thread::sleep_for(pause);
  }
}

}  // namespace mcpkeep
