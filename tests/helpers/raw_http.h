// RawHttp: a TCP connection to the server for requests no well-behaved
// client would send (broken framing, injected CR/LF, slow trickles), with
// every read bounded by a deadline.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include <Poco/Net/StreamSocket.h>

namespace mcpkeep::test {

class RawHttp {
 public:
  explicit RawHttp(uint16_t port);

  // Sends bytes; false if the server has closed the connection.
  bool send(const std::string& bytes);

  // Reads until the server closes the connection or `wait` passes; returns
  // what arrived.
  std::string readUntilClosed(std::chrono::milliseconds wait = std::chrono::seconds(10));

  // Reads one whole response (headers, and a Content-Length or chunked
  // body, raw); empty when none arrives within `wait`.
  std::string readResponse(std::chrono::milliseconds wait = std::chrono::seconds(10));

  // Reads a response's status line and headers only (for a stream that
  // goes on); empty when they do not arrive within `wait`.
  std::string readHead(std::chrono::milliseconds wait = std::chrono::seconds(10));

  // Reads until `needle` arrives; returns what arrived up to and including
  // it, or empty when it does not arrive within `wait`.
  std::string readUntilFound(const std::string& needle,
                             std::chrono::milliseconds wait = std::chrono::seconds(10));

  // True once the server has closed the connection (a read returned 0 or
  // failed), waiting at most `wait`.
  bool closedByServer(std::chrono::milliseconds wait);

 private:
  // Reads until `complete` gives the length of a whole part at the start of
  // what arrived; returns that part, or empty on close or after `wait`.
  std::string readUntil(const std::function<std::size_t(const std::string&)>& complete,
                        std::chrono::milliseconds wait);

  Poco::Net::StreamSocket socket_;
  std::string pending_;
};

// The status code of a raw response ("HTTP/1.1 404 Not Found..."), or 0.
int statusOf(const std::string& response);

// The body of a raw response (after the blank line).
std::string bodyOf(const std::string& response);

}  // namespace mcpkeep::test
