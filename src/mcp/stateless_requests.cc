// The stateless era (protocol 2026-07-28): requests that carry their
// protocol version and client capabilities in _meta and belong to no
// session. Each is still answered through the store, on a request stream of
// one session this server keeps for them (never named to a client), so
// commit-before-send holds and shutdown answers what is in flight; no one
// resumes those streams.
#include "mcp/mcp_server_impl.h"
#include "mcp/protocol_version.h"
#include "mcp/stateless_era.h"
#include "mcp/task_json.h"

namespace mcpkeep {

using nlohmann::json;
using mcp::RpcError;

std::string McpServer::Impl::statelessSession() {
  std::lock_guard<std::mutex> lock(stateless_mutex);
  if (stateless_session.empty()) {
    const Session session = store.createSession();
    store.markInitialized(session.id, mcp::statelessProtocolVersions().front(), "{}",
                          json{{"name", "stateless requests"}, {"version", info.version}}.dump());
    stateless_session = session.id;
  } else {
    store.touchSession(stateless_session);  // kept from idle expiry while in use
  }
  return stateless_session;
}

void McpServer::Impl::forgetStatelessSession(const std::string& id) {
  std::lock_guard<std::mutex> lock(stateless_mutex);
  if (stateless_session == id) stateless_session.clear();
}

mcp::RequestStateSigner& McpServer::Impl::signer() {
  std::lock_guard<std::mutex> lock(stateless_mutex);
  if (!state_signer) state_signer = std::make_unique<mcp::RequestStateSigner>(store.requestStateKey());
  return *state_signer;
}

json McpServer::Impl::discoverResult() {
  json capabilities = initializeResult(mcp::statelessProtocolVersions().front())["capabilities"];
  // Resource updates come through subscriptions/listen in this era.
  if (capabilities.contains("resources")) capabilities["resources"].erase("subscribe");
  capabilities["extensions"] = {{mcp::kTasksExtension, json::object()}};
  json result = {{"supportedVersions", mcp::allProtocolVersions()}, {"capabilities", std::move(capabilities)}};
  if (!info.instructions.empty()) result["instructions"] = info.instructions;
  return result;
}

namespace mcp {

void requireCapabilities(const Caller& caller, const std::map<std::string, InputRequest>& requests) {
  for (const auto& [key, asked] : requests) {
    const std::string capability = requiredCapability(asked.method);
    if (capability.empty()) throw std::invalid_argument("'" + asked.method + "' is not a request to the client");
    if (!caller.capabilities.contains(capability)) throw CapabilityMissing{capability};
  }
}

std::map<std::string, json> statelessInputs(const Caller& caller, const std::map<std::string, InputRequest>& requests) {
  requireCapabilities(caller, requests);
  std::map<std::string, json> results;
  json missing = json::object();
  for (const auto& [key, asked] : requests) {
    if (const auto answer = caller.answers.find(key); answer != caller.answers.end()) {
      results[key] = *answer;
    } else {
      missing[key] = {{"method", asked.method}, {"params", asked.params}};
    }
  }
  if (!missing.empty()) throw InputRequired{std::move(missing)};
  return results;
}

json capabilityError(const json& id, const CapabilityMissing& missing) {
  return errorMessage(id, kMissingClientCapability,
                      "this needs the client capability '" + missing.capability +
                          "', which the request's _meta does not declare",
                      {{"requiredCapabilities", {{missing.capability, json::object()}}}});
}

}  // namespace mcp

namespace {

// A stateless prompts/get's way to ask (a prompt's asking_handler).
class StatelessInputs : public InputContext {
 public:
  explicit StatelessInputs(const mcp::Caller& caller) : caller_(caller) {}
  std::map<std::string, json> requestInputs(const std::map<std::string, InputRequest>& requests) override {
    return mcp::statelessInputs(caller_, requests);
  }
  json clientCapabilities() const override { return caller_.capabilities; }

 private:
  const mcp::Caller& caller_;
};

}  // namespace

json McpServer::Impl::inputRequiredResult(const mcp::InputRequired& asked, const mcp::Caller& caller, mcp::Method method) {
  json result = {{"resultType", "input_required"},
                 {"inputRequests", asked.requests},
                 {"requestState", signer().sign({{"answers", caller.answers}}, caller.binding)}};
  return mcp::statelessResult(std::move(result), method, serverInfoJson());
}

mcp::Caller McpServer::Impl::statelessCaller(const std::string& method, const json& params, const json& capabilities,
                                             int log_level) {
  mcp::Caller caller;
  caller.stateless = true;
  caller.capabilities = capabilities;
  caller.log_level = log_level;
  caller.tasks = mcp::declaresTasks(capabilities);
  caller.binding = method + "\n" + params.value("name", std::string()) + "\n" +
                   params.value("arguments", json::object()).dump();
  if (const auto state = params.find("requestState"); state != params.end()) {
    if (!state->is_string()) throw RpcError(mcp::kInvalidParams, "\"requestState\" must be a string");
    json payload = signer().verify(state->get<std::string>(), caller.binding);
    if (payload.contains("answers") && payload["answers"].is_object()) caller.answers = std::move(payload["answers"]);
  }
  if (const auto responses = params.find("inputResponses"); responses != params.end()) {
    if (!responses->is_object()) throw RpcError(mcp::kInvalidParams, "\"inputResponses\" must be an object");
    for (const auto& [key, response] : responses->items()) {
      if (!response.is_object()) {
        throw RpcError(mcp::kInvalidParams, "inputResponses." + key + " must be an object (the request's result)");
      }
      caller.answers[key] = response;
    }
  }
  return caller;
}

McpServer::Dispatch McpServer::Impl::handleStateless(const json& request) {
  const json& id = request.at("id");
  const std::string request_ids = json::array({id}).dump();
  for (int attempt = 0;; ++attempt) {
    const std::string session = statelessSession();
    try {
      json result;
      try {
        const mcp::RequestMeta meta = mcp::readRequestMeta(request);
        const std::string name = request.at("method").get<std::string>();
        const std::optional<mcp::Method> method = mcp::findMethod(name);
        if (!method || !mcp::inStatelessEra(*method)) {
          throw RpcError(mcp::kMethodNotFound, "unknown method '" + name + "' (protocol " + meta.protocol_version + ")");
        }
        const json& params = mcp::paramsOf(request);
        if (*method == mcp::Method::kToolsCall) {
          const mcp::Caller caller = statelessCaller(name, params, meta.client_capabilities, meta.log_level);
          return {session, startToolCall(session, request_ids, id, params, caller), std::nullopt};
        }
        if (*method == mcp::Method::kTasksGet || *method == mcp::Method::kTasksUpdate ||
            *method == mcp::Method::kTasksCancel) {
          result = mcp::statelessResult(taskRequest(*method, params, meta.client_capabilities), *method,
                                        serverInfoJson());
          return {session, hub.openAndAnswer(session, request_ids, "message", mcp::resultMessage(id, result).dump()),
                  std::nullopt};
        }
        if (*method == mcp::Method::kSubscriptionsListen) {
          mcp::ListenFilter filter = mcp::ListenFilter::fromParams(params);
          if (!filter.task_ids.empty() && !mcp::declaresTasks(meta.client_capabilities)) {
            throw RpcError(mcp::kMissingClientCapability, "task notifications need the client capability extensions." +
                                                               std::string(mcp::kTasksExtension),
                           mcp::tasksCapabilityMissing());
          }
          const json acknowledged =
              mcp::notificationMessage("notifications/subscriptions/acknowledged",
                                       {{"_meta", {{mcp::kSubscriptionIdKey, id}}}, {"notifications", filter.toJson()}});
          const StreamId stream = store.openRequestStream(session, request_ids);
          listeners.add(session, stream, id, std::move(filter));  // before the ack: nothing after it is missed
          hub.publish(session, stream, "message", acknowledged.dump());
          return {session, stream, std::nullopt};
        }
        try {
          if (*method == mcp::Method::kPromptsGet) {
            // A prompt may ask first: input_required rounds, as a tool's.
            const mcp::Caller caller = statelessCaller(name, params, meta.client_capabilities, -1);
            StatelessInputs inputs(caller);
            try {
              result = getPrompt(params, &inputs);
            } catch (const mcp::InputRequired& asked) {
              return {session, hub.openAndAnswer(session, request_ids, "message",
                                                 mcp::resultMessage(id, inputRequiredResult(asked, caller, *method)).dump()),
                      std::nullopt};
            } catch (const mcp::CapabilityMissing& missing) {
              Dispatch refused;
              refused.rejection = mcp::capabilityError(id, missing);
              return refused;
            }
          } else {
            result = resultOf(session, *method, name, params);
          }
        } catch (const RpcError& e) {
          // This era names an unknown resource with invalid params (SEP-2164).
          if (e.code() != mcp::kResourceNotFound) throw;
          throw RpcError(mcp::kInvalidParams, e.what(), {{"uri", params.value("uri", std::string())}});
        }
        result = mcp::statelessResult(std::move(result), *method, serverInfoJson());
      } catch (const RpcError& e) {
        // Refused: nothing is stored (no one could resume it anyway).
        Dispatch refused;
        refused.rejection = mcp::errorMessage(id, e.code(), e.what(), e.data());
        return refused;
      } catch (const Error&) {
        throw;
      } catch (const std::exception& e) {
        Dispatch failed;
        failed.rejection = mcp::errorMessage(id, mcp::kInternalError, std::string("request failed: ") + e.what());
        return failed;
      }
      return {session, hub.openAndAnswer(session, request_ids, "message", mcp::resultMessage(id, result).dump()),
              std::nullopt};
    } catch (const Error& e) {
      // The session expired (idle) or was deleted by hand: make it anew, once.
      if (e.code() != ErrorCode::kNotFound || attempt > 0) throw;
      forgetStatelessSession(session);
    }
  }
}

}  // namespace mcpkeep
