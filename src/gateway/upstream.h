// gateway::Upstream: a live connection to one upstream MCP server (a child
// process on stdio, or a session of a Streamable HTTP server). Message
// passing both ways: send() hands it a JSON-RPC message; everything the
// upstream sends arrives through the Receiver, from a thread of the
// upstream's, until it ends (the child exits, the server cannot be
// reached), which it reports once through the same Receiver.
//
// Thread safety: send() may be called from any thread.
#pragma once

#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace mcpkeep::gateway {

// The upstream cannot take a message: not started, or ended. The message
// names the upstream and why.
class UpstreamError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The upstream answered a request of the gateway's with a JSON-RPC error.
class UpstreamRefusal : public UpstreamError {
 public:
  UpstreamRefusal(const std::string& message, nlohmann::json error)
      : UpstreamError(message), error_(std::move(error)) {}
  // The JSON-RPC error object the upstream answered.
  const nlohmann::json& error() const { return error_; }

 private:
  nlohmann::json error_;
};

struct Receiver {
  // A message from the upstream.
  std::function<void(const nlohmann::json& message)> message;
  // The upstream ended; `why` names it and how (exit status, last lines of
  // its stderr, a connection refused). Called once.
  std::function<void(const std::string& why)> ended;
  // The upstream no longer knows the session `message` was sent in (an HTTP
  // upstream answered 404 to its Mcp-Session-Id: it restarted and forgot).
  // Nothing was done with it; a fresh upstream session may take it.
  std::function<void(const nlohmann::json& message)> lost;
};

class Upstream {
 public:
  // `log_context`: whom it serves, in log lines (a session id, "shared").
  explicit Upstream(std::string log_context) : log_context_(std::move(log_context)) {}
  virtual ~Upstream() = default;

  // Names whom it serves from now on (the session its initialize made).
  void setLogContext(const std::string& context) {
    std::lock_guard<std::mutex> lock(log_context_mutex_);
    log_context_ = context;
  }
  std::string logContext() const {
    std::lock_guard<std::mutex> lock(log_context_mutex_);
    return log_context_;
  }

  // Sends one message. Throws UpstreamError once the upstream has ended.
  virtual void send(const nlohmann::json& message) = 0;

  // What to call the upstream in messages and logs ("node server.js").
  virtual const std::string& name() const = 0;

  // What it last wrote besides messages (stderr lines, stdout lines that
  // were not JSON-RPC), to explain a failure; empty when nothing.
  virtual std::string recentOutput() = 0;

  // The upstream's own session id (an HTTP upstream's Mcp-Session-Id, once
  // it answered initialize); empty when it has none.
  virtual std::string sessionId() const { return std::string(); }

  // Goes on with an upstream session of an earlier mcpkeep process, so no
  // initialize is sent. False when this kind of upstream has no sessions to
  // go on with (a child process starts afresh).
  virtual bool resume(const std::string& session_id, const std::string& protocol_version) {
    (void)session_id;
    (void)protocol_version;
    return false;
  }

  // Ends the upstream's session (the client ended its own).
  virtual void endSession() {}

 private:
  mutable std::mutex log_context_mutex_;
  std::string log_context_;
};

}  // namespace mcpkeep::gateway
