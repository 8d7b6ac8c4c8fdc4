// http::Cors: what lets a browser page use the endpoint from an origin the
// server allows (the Origin check in request_guards.h): preflight answers
// and the headers that let the page read responses. Pages from other
// origins get no CORS headers (and a 403 from the Origin check).
#pragma once

#include <string>

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

namespace mcpkeep::http {

// On every endpoint response: `Vary: Origin`, and for an allowed `origin`
// (empty: the request had none) Access-Control-Allow-Origin and the
// response headers the page may read (Mcp-Session-Id, the gap header).
void addCorsHeaders(Poco::Net::HTTPServerResponse& response, const std::string& origin);

// Answers OPTIONS: 204 with the methods, and for a preflight the request
// headers MCP uses and how long the browser may cache the answer.
void answerOptions(const Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);

}  // namespace mcpkeep::http
