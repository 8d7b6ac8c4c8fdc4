#include "http/cors.h"

#include <Poco/String.h>
#include <Poco/StringTokenizer.h>

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
    std::string allowed =
        "Accept, Authorization, Content-Type, Last-Event-ID, Mcp-Method, Mcp-Name, MCP-Protocol-Version, "
        "Mcp-Session-Id";
    // Tool arguments mirrored in headers (x-mcp-header) are named by the tool:
    // the Mcp-Param-* headers the preflight asks for are allowed.
    Poco::StringTokenizer asked(request.get("Access-Control-Request-Headers", ""), ",",
                                Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY);
    for (const std::string& header : asked) {
      if (Poco::icompare(header.substr(0, 10), "mcp-param-") == 0) allowed += ", " + header;
    }
    response.set("Access-Control-Allow-Headers", allowed);
    // Chromium caches preflights for at most two hours.
    response.set("Access-Control-Max-Age", "7200");
  }
  response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_NO_CONTENT);
  response.setContentLength(0);
  response.send();
}

}  // namespace mcpkeep::http
