// Checks on a request before MCP sees it: header size, DNS-rebinding
// protection (Host, Origin), bearer auth, Accept, Content-Type, body size, session header and
// protocol version. Each throws HttpError with the status the spec asks for.
#pragma once

#include <string>
#include <vector>

#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPServerRequest.h>

namespace mcpkeep::http {

struct GuardOptions {
  bool loopback_only;  // bound to a loopback address
  std::vector<std::string> allowed_origins;
  std::string auth_token;
  std::size_t max_body_bytes;
  std::size_t max_header_bytes;
};

// 431 when the header section (names and values) is over max_header_bytes.
void checkHeaderSize(const Poco::Net::HTTPRequest& request, const GuardOptions& options);

// Host (when bound to loopback) and Origin: 403 when not allowed. Returns
// the allowed Origin, or empty when the request has none.
std::string checkHostAndOrigin(const Poco::Net::HTTPRequest& request, const GuardOptions& options);

// 401 unless the bearer token matches (compared in constant time).
void checkAuth(const Poco::Net::HTTPRequest& request, const GuardOptions& options);

// 406 unless Accept allows every one of `types`.
void checkAccept(const Poco::Net::HTTPRequest& request, const std::vector<std::string>& types);

// 415 unless Content-Type is application/json.
void checkJsonContentType(const Poco::Net::HTTPRequest& request);

// The body, empty when the request has none; 413 beyond max_body_bytes.
std::string readBody(Poco::Net::HTTPServerRequest& request, const GuardOptions& options);

// The Mcp-Session-Id header; 400 when missing or not visible ASCII.
std::string requireSessionId(const Poco::Net::HTTPRequest& request);

// The MCP-Protocol-Version header, or the default when absent; 400 when
// unsupported.
std::string checkProtocolVersion(const Poco::Net::HTTPRequest& request);

// True when `a` and `b` are equal, in time independent of where they differ.
bool constantTimeEquals(const std::string& a, const std::string& b);

}  // namespace mcpkeep::http
