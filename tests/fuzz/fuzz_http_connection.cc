// libFuzzer target: whole connections. The input describes a connection:
// requests back to back, with bodies of any bytes (complete requests among
// them), framed by Content-Length, chunked or not at all, some framed
// ambiguously. They go as one byte stream to Poco's HTTP server behind
// ConnectionGuard, whose handler, like the endpoint's early refusals,
// answers without reading the body unless the path says /read/. Besides
// crashes it checks that the requests the handler ran are a prefix of the
// well-framed ones, in order, each once: no body ever ran as a request, and
// no client that closed properly was reset.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/TCPServer.h>

#include "http/connection_guard.h"
#include "http/framing.h"

namespace {

std::mutex ran_mutex;
std::vector<std::string> ran;  // paths of the requests the handler ran

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override {
    {
      std::lock_guard<std::mutex> lock(ran_mutex);
      ran.push_back(request.getURI());
    }
    if (request.getURI().rfind("/read/", 0) == 0 && mcpkeep::http::hasBody(request)) {
      std::string body;
      char buffer[4096];
      std::istream& in = request.stream();
      while (in.read(buffer, sizeof buffer) || in.gcount() > 0) body.append(buffer, static_cast<std::size_t>(in.gcount()));
    }
    response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_FORBIDDEN);
    response.setContentLength(0);
    response.send();
  }
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new Handler;
  }
};

struct Server {
  Server() : socket(Poco::Net::SocketAddress("127.0.0.1", 0)) {
    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
    params->setKeepAlive(true);
    params->setTimeout(Poco::Timespan(1, 0));
    params->setKeepAliveTimeout(Poco::Timespan(1, 0));
    guard = std::make_unique<mcpkeep::http::ConnectionGuard>(
        mcpkeep::http::ConnectionLimits{16, std::chrono::seconds(2), std::chrono::seconds(1), 1024}, params,
        new Factory);
    server = std::make_unique<Poco::Net::TCPServer>(guard->factory(), socket, params);
    server->start();
  }
  Poco::Net::ServerSocket socket;
  std::unique_ptr<mcpkeep::http::ConnectionGuard> guard;
  std::unique_ptr<Poco::Net::TCPServer> server;
};

// ---- the connection the input describes ----

// Reads the fuzzer's bytes as choices.
class Choices {
 public:
  Choices(const uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  bool empty() const { return at_ >= size_; }
  uint8_t byte() { return at_ < size_ ? data_[at_++] : 0; }
  std::string bytes(std::size_t n) {
    n = std::min(n, size_ - std::min(at_, size_));
    std::string out(reinterpret_cast<const char*>(data_ + at_), n);
    at_ += n;
    return out;
  }

 private:
  const uint8_t* data_;
  std::size_t size_;
  std::size_t at_ = 0;
};

struct Connection {
  std::string bytes;
  // Paths of the requests the handler may run, in order: well framed ones.
  std::vector<std::string> runnable;
};

// Requests with bodies of any bytes the fuzzer likes (complete requests
// among them), framed by Content-Length, chunked, or not at all, and some
// with framing that is ambiguous. Each well-framed request's path carries
// `nonce`, which no body can contain: it is not in the input.
Connection describe(Choices& in, const std::string& nonce) {
  Connection c;
  for (int k = 0; !in.empty() && k < 16; ++k) {
    const uint8_t kind = in.byte() % 8;
    const bool reads = in.byte() % 2 == 0;
    std::size_t length = in.byte();
    if (kind == 6) length = 1024 + length * 8;  // over the drain limit
    const std::string body = in.bytes(length);
    const std::string path = std::string(reads ? "/read/" : "/early/") + std::to_string(k) + "-" + nonce;
    std::string extra;
    if (in.byte() % 4 == 0) {  // a harmless header of the fuzzer's
      std::string value = in.bytes(in.byte() % 32);
      for (char& ch : value) ch = (ch >= 0x20 && ch < 0x7f) ? ch : 'x';
      extra = "X-Fuzz: " + value + "\r\n";
    }
    const std::string method = kind == 5 ? "GET" : "POST";
    std::string head = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra;
    const std::string len = "Content-Length: " + std::to_string(body.size()) + "\r\n";
    switch (kind) {
      case 0: case 5: case 6:  // Content-Length
        c.bytes += head + len + "\r\n" + body;
        break;
      case 1: {  // chunked, in two chunks
        char sizes[2][32];
        const std::size_t half = body.size() / 2;
        std::snprintf(sizes[0], sizeof sizes[0], "%zx", half);
        std::snprintf(sizes[1], sizeof sizes[1], "%zx", body.size() - half);
        c.bytes += head + "Transfer-Encoding: chunked\r\n\r\n" + sizes[0] + "\r\n" + body.substr(0, half) +
                   "\r\n" + sizes[1] + "\r\n" + body.substr(half) + "\r\n0\r\n\r\n";
        break;
      }
      case 2:  // no framing: no body (what follows is the next request)
        c.bytes += head + "\r\n";
        break;
      case 3:  // two Content-Lengths that differ: refused, connection closed
        c.bytes += head + len + "Content-Length: " + std::to_string(body.size() + 1) + "\r\n\r\n" + body;
        continue;
      case 4:  // Content-Length and chunked: refused, connection closed
        c.bytes += head + len + "Transfer-Encoding: chunked\r\n\r\n" + body;
        continue;
      case 7:  // a repeated Host: refused, connection closed
        c.bytes += head + "Host: 127.0.0.1\r\n" + len + "\r\n" + body;
        continue;
    }
    c.runnable.push_back(path);
  }
  return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Server server;
  static uint64_t inputs = 0;
  Choices choices(data, size);
  const Connection connection = describe(choices, "n" + std::to_string(++inputs));
  {
    std::lock_guard<std::mutex> lock(ran_mutex);
    ran.clear();
  }
  try {
    Poco::Net::StreamSocket client(Poco::Net::SocketAddress("127.0.0.1", server.server->port()));
    client.setReceiveTimeout(Poco::Timespan(5, 0));
    client.sendBytes(connection.bytes.data(), static_cast<int>(connection.bytes.size()));
    client.shutdownSend();
    // Until the server closes: every handler that will run has run.
    char buffer[16384];
    while (client.receiveBytes(buffer, sizeof buffer) > 0) {
    }
  } catch (const Poco::Exception& e) {
    // The server reset or stalled a connection the client closed properly.
    std::fprintf(stderr, "client: %s\n", e.displayText().c_str());
    __builtin_trap();
  }
  // What ran is a prefix of the well-framed requests, in order, each once:
  // never a body, never a request twice.
  std::lock_guard<std::mutex> lock(ran_mutex);
  bool prefix = ran.size() <= connection.runnable.size();
  for (std::size_t i = 0; prefix && i < ran.size(); ++i) prefix = ran[i] == connection.runnable[i];
  if (!prefix) {
    for (const auto& path : ran) std::fprintf(stderr, "ran %s\n", path.c_str());
    for (const auto& path : connection.runnable) std::fprintf(stderr, "well framed %s\n", path.c_str());
    __builtin_trap();
  }
  return 0;
}
