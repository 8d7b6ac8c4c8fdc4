// http::Endpoint: the MCP endpoint's request handler: POST, GET, DELETE.
#pragma once

#include <chrono>

#include <Poco/Net/HTTPRequestHandler.h>

#include <mcpkeep/mcp_server.h>

#include "http/request_guards.h"

namespace mcpkeep::http {

struct EndpointOptions {
  GuardOptions guards;
  std::chrono::milliseconds keep_alive_interval;
  std::chrono::milliseconds retry;
};

// Made per request by the server's factory; shares the McpServer.
class Endpoint : public Poco::Net::HTTPRequestHandler {
 public:
  Endpoint(McpServer& mcp, const EndpointOptions& options) : mcp_(mcp), options_(options) {}

  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override;

 private:
  void post(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);
  void get(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);
  void remove(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);

  // The session named by the request's header, touched; 400/404 otherwise.
  Session requireSession(const Poco::Net::HTTPServerRequest& request);

  // Writes `subscription` as an SSE stream until it ends. `priming_id`, when
  // not empty, is sent first with empty data (protocol 2025-11-25 on).
  void serveStream(Poco::Net::HTTPServerResponse& response, Subscription& subscription,
                   const std::string& priming_id, const std::string& new_session_id);

  McpServer& mcp_;
  const EndpointOptions& options_;
};

// Writes a JSON-RPC error body with `status`.
void sendError(Poco::Net::HTTPServerResponse& response, int status, int rpc_code,
               const std::string& message);

// One line on stderr: "<ISO time> mcpkeep: <text>".
void logLine(const std::string& text);

}  // namespace mcpkeep::http
