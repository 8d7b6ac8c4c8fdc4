// mcpkeep::Dispatcher: what answers the MCP messages a transport receives.
// The HTTP transport hands it each message with its session and learns on
// which stream of the store the answer will appear; it never knows who
// answers. McpServer (tools written in C++) and the gateway (an upstream MCP
// server) are its two implementations.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <mcpkeep/hub.h>

namespace mcpkeep {

class Dispatcher {
 public:
  virtual ~Dispatcher() = default;

  // Where the answer to a request is: the request's stream in the store;
  // or, for an `initialize` or a stateless request that is refused, no
  // session and `rejection`, a JSON-RPC error message for the transport to
  // send as it is (nothing is stored).
  struct Dispatch {
    std::string session_id;
    StreamId stream = 0;
    std::optional<nlohmann::json> rejection;
  };

  // The hub every answer is published through.
  virtual Hub& hub() = 0;

  // Handles one JSON-RPC request of `session_id`. `initialize` creates the
  // session (any `session_id` is ignored). With no session and a request
  // carrying protocol 2026-07-28's _meta, a stateless request
  // (servesStateless()): the Dispatch names the session its stream is in. Opens the request's stream and
  // answers on it, now or later. Protocol errors are answered on the stream
  // too. Throws mcpkeep::Error only when the store fails (e.g. kNotFound
  // for an unknown session).
  virtual Dispatch handleRequest(const std::string& session_id, const nlohmann::json& request) = 0;

  // Handles a notification or a response from the client.
  virtual void handleNotification(const std::string& session_id, const nlohmann::json& message) = 0;

  // The client of a stateless request (protocol 2026-07-28, no session of
  // its own) closed its response before the stream ended: closing it is
  // the request's cancellation there. `stream` is what handleRequest gave.
  virtual void abandon(const std::string& session_id, StreamId stream) {
    (void)session_id;
    (void)stream;
  }

  // Whether it answers stateless requests (protocol 2026-07-28: _meta
  // instead of a session). When not, the transport refuses them in a way
  // clients read as "fall back to initialize".
  virtual bool servesStateless() const { return false; }

  // A tool argument that 2026-07-28 clients mirror into the header
  // Mcp-Param-{header} (x-mcp-header in the tool's input schema).
  struct MirroredParam {
    std::string header;             // the {header} part
    std::vector<std::string> path;  // property names from the arguments' root
    std::string type;               // "string", "integer" or "boolean"
  };

  // The arguments of `tool` mirrored into headers, for the transport to
  // check against the body; empty when none or the tool is unknown.
  virtual std::vector<MirroredParam> mirroredParams(const std::string& tool) {
    (void)tool;
    return {};
  }

  // Ends the session (the client's DELETE) with what it holds. False when
  // there was none.
  virtual bool endSession(const std::string& session_id) = 0;

  // Why the answerer cannot serve beyond what the store says (an upstream
  // that cannot be reached); nullopt when it can. For /healthz.
  virtual std::optional<std::string> unavailable() { return std::nullopt; }

  // Metrics of the answerer's own, as Prometheus text lines (with their
  // HELP and TYPE), added to the transport's /metrics.
  virtual std::string metrics() const { return std::string(); }

  // Where clients reach it (HttpServer::start sets it), named to a second
  // server refused on the same file.
  virtual void setAddress(const std::string& url) = 0;

  // Stops answering, gives requests in progress up to `grace` to finish,
  // and answers the rest with the interrupted JSON-RPC error, committed on
  // their streams. Idempotent.
  virtual void shutdown(std::chrono::milliseconds grace) = 0;
};

}  // namespace mcpkeep
