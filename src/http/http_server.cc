// HttpServer: Poco's TCP server with guarded connections (limits, request
// deadlines; see connection_guard.h), each served by Poco's HTTP connection,
// routing the endpoint path to Endpoint, GET /metrics and /healthz to their
// pages, and everything else to 404.
#include <mcpkeep/http_server.h>

#include <algorithm>
#include <functional>
#include <thread>

#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>

#include "http/connection_guard.h"
#include "http/endpoint.h"
#include "http/http_error.h"
#include "http/metrics.h"
#include "http/parked_streams.h"
#include "http/stream_slots.h"

namespace mcpkeep {
namespace {

class NotFound : public Poco::Net::HTTPRequestHandler {
 public:
  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    http::sendError(response, 404, http::kServerError,
                    "no MCP endpoint at " + Poco::URI(request.getURI()).getPath());
  }
};

// GET /metrics: Prometheus text exposition.
class MetricsPage : public Poco::Net::HTTPRequestHandler {
 public:
  MetricsPage(const http::Metrics& metrics, Dispatcher& answerer, std::function<int()> connections)
      : metrics_(metrics), answerer_(answerer), connections_(std::move(connections)) {}
  void handleRequest(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& response) override {
    try {
      const std::string body =
          metrics_.exposition(answerer_.hub().store(), connections_()) + answerer_.metrics();
      response.setContentType("text/plain; version=0.0.4");
      response.setContentLength(static_cast<std::streamsize>(body.size()));
      response.send() << body;
    } catch (const Error& e) {
      http::sendError(response, 503, http::kServerError, std::string("metrics unavailable: ") + e.what());
    }
  }

 private:
  const http::Metrics& metrics_;
  Dispatcher& answerer_;
  std::function<int()> connections_;
};

// GET /healthz/live: the process serves. GET /healthz: ready, which also
// needs the database to answer a read (the retention settings, a few rows).
class Health : public Poco::Net::HTTPRequestHandler {
 public:
  // `ready`: the answerer to ask as well; null for /healthz/live.
  explicit Health(Dispatcher* ready) : ready_(ready) {}
  void handleRequest(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& response) override {
    nlohmann::json body = {{"status", "ok"}};
    int status = 200;
    if (ready_) {
      try {
        ready_->hub().store().retention();
        body["database"] = "ok";
      } catch (const Error& e) {
        status = 503;
        body = {{"status", "unavailable"}, {"database", errorCodeName(e.code())}};
      }
      if (const std::optional<std::string> why = ready_->unavailable()) {
        status = 503;
        body["status"] = "unavailable";
        body["upstream"] = *why;
      }
    }
    http::sendJson(response, status, body);
  }

 private:
  Dispatcher* ready_;
};

class Router : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Router(Dispatcher& answerer, std::string path, const http::EndpointOptions& options,
         std::function<int()> connections)
      : answerer_(answerer), path_(std::move(path)), options_(options), connections_(std::move(connections)) {}

  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest& request) override {
    // Poco answers 501 to a null handler: always return one.
    const std::string path = Poco::URI(request.getURI()).getPath();
    if (path == path_) return new http::Endpoint(answerer_, options_);
    if (request.getMethod() == "GET") {
      if (path == "/metrics") return new MetricsPage(*options_.metrics, answerer_, connections_);
      if (path == "/healthz") return new Health(&answerer_);
      if (path == "/healthz/live") return new Health(nullptr);
    }
    return new NotFound();
  }

 private:
  Dispatcher& answerer_;
  const std::string path_;
  const http::EndpointOptions& options_;
  std::function<int()> connections_;
};

// Connections beyond max_connections need a thread to be told 503.
constexpr int kRefusalThreads = 16;

}  // namespace

struct HttpServer::Impl {
  Impl(Dispatcher& a, HttpOptions o)
      : answerer(a),
        options(std::move(o)),
        slots(options.max_streams_per_session),
        pool(2, options.max_connections + kRefusalThreads, 60, kThreadStackBytes) {}

  // Each open SSE stream holds a thread that mostly waits: a small stack
  // lets thousands wait (SQLite and the JSON parser need far less).
  static constexpr int kThreadStackBytes = 512 * 1024;

  Dispatcher& answerer;
  const HttpOptions options;
  http::EndpointOptions endpoint_options;
  http::StreamSlots slots;
  http::Metrics metrics;
  Poco::ThreadPool pool;
  std::unique_ptr<http::ParkedStreams> parking;  // before the guard: stopped after it
  std::unique_ptr<http::ConnectionGuard> guard;
  std::unique_ptr<Poco::Net::TCPServer> server;
  bool stopped = false;
};

HttpServer::HttpServer(Dispatcher& answerer, HttpOptions options)
    : impl_(std::make_unique<Impl>(answerer, std::move(options))) {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() {
  Impl& s = *impl_;
  const HttpOptions& o = s.options;
  const Poco::Net::SocketAddress address(o.host, o.port);
  s.endpoint_options.guards = {address.host().isLoopback(), o.allowed_origins, o.auth_token,
                               o.max_body_bytes, o.max_header_bytes};
  s.endpoint_options.keep_alive_interval = o.keep_alive_interval;
  s.endpoint_options.retry = o.retry;
  s.endpoint_options.close_streams_after = o.close_streams_after;
  s.endpoint_options.json_responses = o.json_responses;
  s.endpoint_options.stateless = o.stateless;
  s.endpoint_options.sessions = o.sessions;
  s.endpoint_options.max_sessions = o.max_sessions;
  s.endpoint_options.stream_slots = &s.slots;
  s.endpoint_options.metrics = &s.metrics;
  s.parking = std::make_unique<http::ParkedStreams>(o.idle_timeout);
  s.endpoint_options.parking = s.parking.get();

  // SO_REUSEADDR lets a restart bind while the last run's connections sit
  // in TIME_WAIT. Not SO_REUSEPORT (Poco's ServerSocket(address) sets it
  // too): with it a second server would share a port that one holds.
  Poco::Net::ServerSocket socket;
  socket.bind(address, true, false);
  socket.listen(256);
  Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(o.max_connections + kRefusalThreads);
  params->setMaxQueued(kRefusalThreads);
  params->setKeepAlive(true);
  const Poco::Timespan idle(std::chrono::duration_cast<std::chrono::microseconds>(o.idle_timeout).count());
  params->setKeepAliveTimeout(idle);
  params->setTimeout(idle);
  params->setServerName("mcpkeep");
  s.guard = std::make_unique<http::ConnectionGuard>(
      http::ConnectionLimits{o.max_connections, o.request_timeout, o.idle_timeout,
                             static_cast<int64_t>(o.max_body_bytes)}, params,
      new Router(s.answerer, o.path, s.endpoint_options, [&s] { return s.guard->connections(); }));
  s.server = std::make_unique<Poco::Net::TCPServer>(s.guard->factory(), s.pool, socket, params);
  s.server->start();
  s.answerer.setAddress("http://" + o.host + ":" + std::to_string(s.server->port()) + o.path);
}

void HttpServer::stop(std::chrono::milliseconds grace) {
  Impl& s = *impl_;
  if (!s.server || s.stopped) return;
  s.stopped = true;
  s.server->stop();            // no new connections
  s.answerer.hub().shutdown();      // open streams end with a retry hint
  const auto deadline = std::chrono::steady_clock::now() + grace;
  s.parking->stop(deadline);
  while (s.guard->connections() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  s.guard->abortAll();
  s.pool.joinAll();
  // Running tool calls get the rest of the grace to commit their results;
  // the rest are answered as interrupted (clients resume to either).
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  s.answerer.shutdown(std::max(left, std::chrono::milliseconds(0)));
}

uint16_t HttpServer::port() const {
  return impl_->server ? impl_->server->port() : impl_->options.port;
}

}  // namespace mcpkeep
