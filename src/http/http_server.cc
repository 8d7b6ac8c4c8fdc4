// HttpServer: Poco's HTTPServer with a thread pool sized from the options
// (each open SSE stream holds a thread), routing the endpoint path to
// Endpoint and everything else to 404.
#include <mcpkeep/http_server.h>

#include <thread>

#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>

#include "http/endpoint.h"
#include "http/http_error.h"

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

class Router : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Router(McpServer& mcp, std::string path, const http::EndpointOptions& options)
      : mcp_(mcp), path_(std::move(path)), options_(options) {}

  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest& request) override {
    // Poco answers 501 to a null handler: always return one.
    if (Poco::URI(request.getURI()).getPath() == path_) return new http::Endpoint(mcp_, options_);
    return new NotFound();
  }

 private:
  McpServer& mcp_;
  const std::string path_;
  const http::EndpointOptions& options_;
};

}  // namespace

struct HttpServer::Impl {
  Impl(McpServer& m, HttpOptions o)
      : mcp(m),
        options(std::move(o)),
        pool(2, options.max_threads, 60, kThreadStackBytes) {}

  // Each open SSE stream holds a thread that mostly waits: a small stack
  // lets thousands wait (SQLite and the JSON parser need far less).
  static constexpr int kThreadStackBytes = 512 * 1024;

  McpServer& mcp;
  const HttpOptions options;
  http::EndpointOptions endpoint_options;
  Poco::ThreadPool pool;
  std::unique_ptr<Poco::Net::HTTPServer> server;
  bool stopped = false;
};

HttpServer::HttpServer(McpServer& mcp, HttpOptions options)
    : impl_(std::make_unique<Impl>(mcp, std::move(options))) {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() {
  Impl& s = *impl_;
  const Poco::Net::SocketAddress address(s.options.host, s.options.port);
  s.endpoint_options.guards = {address.host().isLoopback(), s.options.allowed_origins,
                               s.options.auth_token, s.options.max_body_bytes};
  s.endpoint_options.keep_alive_interval = s.options.keep_alive_interval;
  s.endpoint_options.retry = s.options.retry;
  s.endpoint_options.close_streams_after = s.options.close_streams_after;
  s.endpoint_options.json_responses = s.options.json_responses;

  Poco::Net::ServerSocket socket(address, 256);
  auto params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(s.options.max_threads);
  params->setMaxQueued(s.options.max_queued);
  params->setKeepAlive(true);
  params->setServerName("mcpkeep");
  s.server = std::make_unique<Poco::Net::HTTPServer>(
      new Router(s.mcp, s.options.path, s.endpoint_options), s.pool, socket, params);
  s.server->start();
}

void HttpServer::stop(std::chrono::milliseconds grace) {
  Impl& s = *impl_;
  if (!s.server || s.stopped) return;
  s.stopped = true;
  s.server->stop();            // no new connections
  s.mcp.hub().shutdown();      // open streams end with a retry hint
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (s.server->currentConnections() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  s.server->stopAll(true);
  s.pool.joinAll();
}

uint16_t HttpServer::port() const {
  return impl_->server ? impl_->server->port() : impl_->options.port;
}

}  // namespace mcpkeep
