// http::Framing: where a request's body ends, decided before any handler
// runs, and the one rule for a body a handler did not read.
//
// A response can go out before the request's body was read (a 403 for a
// foreign Origin, a 406, a 404 path, ...). If the connection then stays
// open, the unread body would be parsed as the next request and run past
// every check that refused the first (request smuggling). So, for every
// request, whatever its handler did:
//  - no body (neither Content-Length nor Transfer-Encoding, RFC 9112 6.3):
//    nothing to do; the handler must not read one;
//  - a Content-Length body up to `drain_limit` bytes: what the handler left
//    unread is read and dropped after it returns, and the connection stays
//    open;
//  - a chunked body, or one over `drain_limit`: the response says
//    `Connection: close` and the connection is closed after it.
// Framing that two parties could read differently (RFC 9112 6.1-6.3, RFC
// 9110 5.3) is refused with 400 and the connection closed: Content-Length
// values that differ or are not numbers, Content-Length with
// Transfer-Encoding, a transfer coding other than chunked, and a repeated
// header that says whom the request is from or for (Host, Origin,
// Authorization, Mcp-Session-Id, MCP-Protocol-Version, Last-Event-ID).
#pragma once

#include <optional>
#include <string>

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

namespace mcpkeep::http {

class Framing {
 public:
  // Reads the request's framing headers.
  Framing(const Poco::Net::HTTPRequest& request, Poco::Int64 drain_limit);

  // Why the request cannot be read safely (the 400's message), if it cannot.
  const std::optional<std::string>& problem() const { return problem_; }

  // Before the handler: a response that must close says so in its headers.
  void prepare(Poco::Net::HTTPServerResponse& response) const;

  // After the handler: drops what it left of a drainable body. When that
  // fails (the client went or stalled), the connection is closed.
  void finish(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) const;

 private:
  enum class Body { kNone, kDrain, kClose };

  std::optional<std::string> problem_;
  Body body_ = Body::kNone;
};

// True when the request has a body by RFC 9112 (Content-Length or
// Transfer-Encoding); Poco's request streams read to the end of the
// connection when neither is there, so callers check this first.
bool hasBody(const Poco::Net::HTTPRequest& request);

}  // namespace mcpkeep::http
