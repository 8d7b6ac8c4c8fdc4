// mcpkeep::HttpServer: the MCP Streamable HTTP transport on Poco's HTTP
// server: one endpoint for POST (messages), GET (the standalone stream, or
// resuming any stream with Last-Event-ID) and DELETE (end the session).
// SSE streams are written from the store's subscriptions, so what a client
// sees was committed first, and replay and live delivery are one path.
//
// Thread safety: start() and stop() from one thread; requests are served on
// Poco's pool, one thread per connection (an open SSE stream holds one).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <mcpkeep/mcp_server.h>

namespace mcpkeep {

struct HttpOptions {
  // Address to bind. Default: 127.0.0.1 (loopback only).
  std::string host = "127.0.0.1";
  // Port; 0 picks a free one (see HttpServer::port()). Default: 8080.
  uint16_t port = 8080;
  // The MCP endpoint's path. Default: /mcp.
  std::string path = "/mcp";
  // Origins allowed besides loopback ones (http[s]://localhost|127.0.0.1|[::1]
  // with any port), e.g. "https://app.example.com". A request with another
  // Origin gets 403. Default: none.
  std::vector<std::string> allowed_origins;
  // When set, requests need "Authorization: Bearer <token>". Default: none.
  std::string auth_token;
  // Largest POST body. Default: 4 MiB.
  std::size_t max_body_bytes = 4 << 20;
  // Connections served at once; each open SSE stream holds one (a thread
  // with a 512 KiB stack, mostly waiting). Default: 4096.
  int max_threads = 4096;
  // Connections waiting for a thread beyond that. Default: 128.
  int max_queued = 128;
  // A comment is written on an SSE stream idle this long. Default: 15 s.
  std::chrono::milliseconds keep_alive_interval{std::chrono::seconds(15)};
  // The SSE retry hint: how long clients wait before reconnecting.
  // Default: 1 s.
  std::chrono::milliseconds retry{std::chrono::seconds(1)};
  // When above zero, an SSE stream open this long is closed with a retry
  // hint once the client holds an event id of it; the client resumes with
  // Last-Event-ID (SEP-1699 polling), so long calls and idle sessions hold
  // no connection. Default: 0 (streams stay open).
  std::chrono::milliseconds close_streams_after{0};
  // Answer each POSTed request with one application/json body, its response,
  // instead of an SSE stream. Notifications sent during the request are
  // stored but not delivered. Default: false (SSE).
  bool json_responses = false;
};

class HttpServer {
 public:
  HttpServer(McpServer& mcp, HttpOptions options);
  // Stops (see stop()).
  ~HttpServer();

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts serving. Throws Poco::Exception if it cannot bind.
  void start();

  // Stops accepting, ends every open stream with a retry hint (the Hub shuts
  // down), and waits up to `grace` for connections to finish. Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

  // The bound port (after start()).
  uint16_t port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mcpkeep
