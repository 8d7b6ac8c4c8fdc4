// McpServer::Impl::Context: the ToolContext of one tool call. In the
// session era it publishes progress, logs and requests on the call's
// stream (tool_calls.cc); a stateless call asks for input with
// input_required results instead; a call turned into a task lives in the
// store's tasks table (task_calls.cc).
#pragma once

#include <chrono>

#include "mcp/mcp_server_impl.h"

namespace mcpkeep {

class McpServer::Impl::Context : public ToolContext {
 public:
  Context(Impl& server, std::string session, mcp::CallStream& stream, nlohmann::json id, const Tool& tool,
          nlohmann::json arguments, nlohmann::json progress_token, std::shared_ptr<std::atomic<bool>> cancelled,
          const mcp::Caller& caller, std::string task_id = std::string())
      : server_(server),
        session_(std::move(session)),
        stream_(stream),
        id_(std::move(id)),
        tool_(tool),
        arguments_(std::move(arguments)),
        progress_token_(std::move(progress_token)),
        cancelled_(std::move(cancelled)),
        caller_(caller),
        task_id_(std::move(task_id)) {}

  void progress(double progress, std::optional<double> total, const std::string& message) override;
  void log(const std::string& level, const nlohmann::json& data, const std::string& logger) override;
  bool cancelled() const override;
  const std::string& sessionId() const override { return session_; }
  void closeSseStream() override;
  nlohmann::json clientCapabilities() const override;
  std::map<std::string, nlohmann::json> requestInputs(const std::map<std::string, InputRequest>& requests) override;
  nlohmann::json request(const std::string& method, const nlohmann::json& params,
                         std::chrono::milliseconds timeout) override;
  bool startTask(const std::string& status_message) override;
  void setStatusMessage(const std::string& message) override;

  // The task the call became; empty if none.
  const std::string& taskId() const { return task_id_; }

 private:
  void send(const nlohmann::json& message);
  // Session era: one request on the call's stream, waited for.
  nlohmann::json requestOnStream(const std::string& method, const nlohmann::json& params,
                                 std::chrono::milliseconds timeout);
  // Task: records the requests and waits for tasks/update to answer them.
  std::map<std::string, nlohmann::json> requestFromTask(const std::map<std::string, InputRequest>& requests);

  Impl& server_;
  const std::string session_;
  mcp::CallStream& stream_;
  const nlohmann::json id_;
  const Tool& tool_;
  const nlohmann::json arguments_;
  const nlohmann::json progress_token_;
  const std::shared_ptr<std::atomic<bool>> cancelled_;
  const mcp::Caller& caller_;
  std::string task_id_;
  int asked_ = 0;  // stateless: requests made so far, naming the next
  mutable std::chrono::steady_clock::time_point task_checked_{};  // last look at the task's row
};

}  // namespace mcpkeep
