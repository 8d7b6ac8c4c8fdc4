#include "http/cors.h"

namespace mcpkeep::http {
namespace {

constexpr const char* kMethods = "GET, POST, DELETE, OPTIONS";

}  // namespace

void addCorsHeaders(Poco::Net::HTTPServerResponse& response, const std::string& origin) {
  response.set("Vary", "Origin");
  if (origin.empty()) return;
  response.set("Access-Control-Allow-Origin", origin);
  response.set("Access-Control-Expose-Headers", "Mcp-Session-Id, Mcp-Replay-Gap, WWW-Authenticate");
}

void answerOptions(const Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
  response.set("Allow", kMethods);
  if (request.has("Access-Control-Request-Method")) {
    response.set("Access-Control-Allow-Methods", kMethods);
    response.set("Access-Control-Allow-Headers",
                 "Accept, Authorization, Content-Type, Last-Event-ID, Mcp-Method, Mcp-Name, "
                 "MCP-Protocol-Version, Mcp-Session-Id");
    // Chromium caches preflights for at most two hours.
    response.set("Access-Control-Max-Age", "7200");
  }
  response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_NO_CONTENT);
  response.setContentLength(0);
  response.send();
}

}  // namespace mcpkeep::http
