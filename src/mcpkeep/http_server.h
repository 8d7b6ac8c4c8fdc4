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

#include <mcpkeep/dispatcher.h>

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
  // Largest POST body; a larger one gets 413. Default: 4 MiB.
  std::size_t max_body_bytes = 4 << 20;
  // Largest request header section (names and values together); a larger
  // one gets 431. Poco refuses a single field over 8 KiB, or over 100
  // fields, with a bare 400 first. Default: 16 KiB.
  std::size_t max_header_bytes = 16 << 10;
  // Connections served at once, each by a thread (512 KiB stack) while it
  // sends a request and gets its answer. A GET stream waits in the event
  // loop and does not count; a POST's stream holds its connection until
  // the response. One more gets 503 at once. Default: 4096.
  int max_connections = 4096;
  // Sessions in the database; an initialize beyond this gets 503 (delete
  // or let idle sessions expire). An idle session costs no memory and about
  // 330 bytes of disk (its row, its standalone stream, their indexes), and
  // the check reads one counter, so the limit is about disk: the default
  // caps the file near 330 MB of sessions, far above what clients that never
  // DELETE leave within the idle timeout. Default: 1000000.
  int64_t max_sessions = 1000000;
  // Open SSE streams (and JSON-mode requests waiting) per session; one more
  // gets 429. Default: 64.
  int max_streams_per_session = 64;
  // A request's headers and body must arrive within this, or the connection
  // is closed (slow clients must not hold threads). Default: 10 s.
  std::chrono::milliseconds request_timeout{std::chrono::seconds(10)};
  // A keep-alive connection with no request, or a socket that cannot send
  // or receive, for this long is closed. Default: 30 s.
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(30)};
  // A comment is written on an SSE stream idle this long. Default: 15 s.
  std::chrono::milliseconds keep_alive_interval{std::chrono::seconds(15)};
  // The SSE retry hint: how long clients wait before reconnecting a lost
  // stream, after a crash, a restart or a stream the server let go. The
  // official SDK clients wait exactly this long and, by default, try twice,
  // so they ride out a restart of up to about twice this. Default: 6 s
  // (a 10 s restart, with room).
  std::chrono::milliseconds retry{std::chrono::seconds(6)};
  // When above zero, an SSE stream open this long is closed with a retry
  // hint once the client holds an event id of it; the client resumes with
  // Last-Event-ID (SEP-1699 polling), so long calls and idle sessions hold
  // no connection. Default: 0 (streams stay open).
  std::chrono::milliseconds close_streams_after{0};
  // Answer each POSTed request with one application/json body, its response,
  // instead of an SSE stream. Notifications sent during the request are
  // stored but not delivered. Default: false (SSE).
  bool json_responses = false;
  // Serve protocol 2026-07-28's stateless requests beside the session era,
  // when the answerer can (Dispatcher::servesStateless). false: the session
  // era only; a 2026 probe gets an error clients read as "fall back to
  // initialize". Default: true.
  bool stateless = true;
  // Serve the session era (initialize, Mcp-Session-Id, GET streams).
  // false: 2026-07-28 only; session-era traffic is refused 400 with the
  // unsupported-version error naming the versions served. Default: true.
  bool sessions = true;
};

class HttpServer {
 public:
  // Serves what `answerer` (an McpServer, or the gateway) answers; it must
  // outlive this.
  HttpServer(Dispatcher& answerer, HttpOptions options);
  // Stops (see stop()).
  ~HttpServer();

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts serving. Throws Poco::Exception if it cannot bind,
  // for one when another server holds the address.
  void start();

  // Stops accepting, ends every open stream with a retry hint (the Hub shuts
  // down), waits up to `grace` for connections to finish, and gives running
  // tool calls what is left of it to commit their results; the rest are
  // answered with the interrupted error (Dispatcher::shutdown). Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

  // The bound port (after start()).
  uint16_t port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mcpkeep
