// A small MCP client for end-to-end tests: raw HTTP requests with Poco's
// HTTPClientSession, SSE parsing, and MCP calls on top. Every read has a
// timeout, so a server that hangs fails the test instead of hanging it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mcpkeep::test {

struct SseEvent {
  std::string id;
  std::string type;  // empty: "message"
  std::string data;
  std::optional<int> retry;
};

struct HttpReply {
  int status = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  std::vector<SseEvent> events;  // when the body is an SSE stream

  std::string header(const std::string& name) const;
  // The JSON-RPC message with this id among the events (or the JSON body).
  nlohmann::json response(const nlohmann::json& id) const;
  nlohmann::json parsedBody() const { return nlohmann::json::parse(body); }
};

class McpClient {
 public:
  explicit McpClient(uint16_t port, std::string host = "127.0.0.1");

  // Sends a request with exactly these headers (plus Host and Content-Length)
  // and reads the whole reply, or at most `max_events` SSE events.
  // `on_event` sees each SSE event as it arrives.
  HttpReply send(const std::string& method, const std::string& body,
                 const std::map<std::string, std::string>& headers,
                 std::size_t max_events = SIZE_MAX,
                 const std::function<void(const SseEvent&)>& on_event = nullptr) const;

  // The headers a well-behaved client sends, with the session once known.
  std::map<std::string, std::string> standardHeaders() const;

  // POSTs a JSON-RPC message with standardHeaders() plus `extra`.
  HttpReply post(const nlohmann::json& message,
                 const std::map<std::string, std::string>& extra = {}) const;

  // initialize + notifications/initialized; returns the initialize reply.
  HttpReply initialize(const std::string& version = "2025-11-25");

  // A request with a fresh id; returns the JSON-RPC response message.
  nlohmann::json request(const std::string& method, const nlohmann::json& params = nlohmann::json::object());

  // GET on the endpoint (the standalone stream, or a resume), reading at most
  // `max_events` events.
  HttpReply get(const std::map<std::string, std::string>& extra, std::size_t max_events,
                const std::function<void(const SseEvent&)>& on_event = nullptr) const;

  // Protocol 2026-07-28: POSTs `message` with no session, its version,
  // method and name mirrored in headers (`extra` overrides them).
  HttpReply postStateless(const nlohmann::json& message, const std::map<std::string, std::string>& extra = {},
                          std::size_t max_events = SIZE_MAX,
                          const std::function<void(const SseEvent&)>& on_event = nullptr) const;

  std::string session_id;
  std::string protocol_version;
  std::string auth_token;
  nlohmann::json capabilities = nlohmann::json::object();  // declared at initialize
  int next_id = 1;
  std::chrono::milliseconds timeout{std::chrono::seconds(15)};  // each read's

 private:
  uint16_t port_;
  std::string host_;
};

std::vector<SseEvent> parseSse(const std::string& text);

// A 2026-07-28 subscriptions/listen (or any stateless request answered with
// SSE) read on a thread of its own, up to `max_events` messages.
class Listening {
 public:
  Listening(const McpClient& client, nlohmann::json request, std::size_t max_events);
  ~Listening();

  // Whether `n` messages came within 10 s.
  bool waitFor(std::size_t n);
  // Message `i` (waitFor it first).
  nlohmann::json operator[](std::size_t i);
  // The reply, once the read ended (within 10 s; status 0 if not).
  HttpReply finish();

 private:
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<nlohmann::json> seen_;
  std::future<HttpReply> reading_;
};

// A 2026-07-28 request: `params` with _meta naming the version and
// `capabilities`.
nlohmann::json statelessRequest(int id, const std::string& method, nlohmann::json params,
                                nlohmann::json capabilities = nlohmann::json::object());

// Capabilities declaring the tasks extension (and `more`).
nlohmann::json withTasks(nlohmann::json more = nlohmann::json::object());

}  // namespace mcpkeep::test
