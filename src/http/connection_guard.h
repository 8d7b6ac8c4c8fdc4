// http::ConnectionGuard: what Poco's HTTP server lacks against abusive
// clients. It serves each connection through Poco's HTTPServerConnection,
// and adds:
//  - a cap on connections served at once: the next one is answered 503 at
//    once instead of waiting in a queue or being dropped;
//  - a deadline for receiving a request (headers and body), so slow clients
//    (slowloris) cannot hold the server's threads: a watchdog thread shuts
//    down the socket of a connection past its deadline, which ends the
//    blocked read;
//  - send and receive timeouts on every socket, so a client that stops
//    reading cannot hold a thread either;
//  - abortAll(), which ends every connection (server stop);
//  - the framing rule of framing.h, applied around every request handler:
//    ambiguous framing is refused, a body a handler did not read is dropped
//    or the connection closed, so no body is ever read as a request;
//  - a lingering close: a connection the server ends stops sending first
//    and reads what the client still sends for a moment, so the last
//    answer is not lost to a reset.
// It wraps the request handlers it is given, so each one's return re-arms
// the deadline for the connection's next request.
//
// Thread safety: all members are safe to call from any thread; the static
// request-phase calls act on the connection served by the calling thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <set>
#include <thread>

#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/TCPServerConnectionFactory.h>

namespace mcpkeep::http {

struct ConnectionLimits {
  int max_connections;
  std::chrono::milliseconds request_timeout;  // to receive headers and body
  std::chrono::milliseconds idle_timeout;     // keep-alive wait, socket send/receive
  int64_t drain_limit;  // bodies up to this a handler left unread are dropped; larger ones close
};

class ConnectionGuard {
 public:
  ConnectionGuard(ConnectionLimits limits, Poco::Net::HTTPServerParams::Ptr params,
                  Poco::Net::HTTPRequestHandlerFactory::Ptr handlers);
  ~ConnectionGuard();
  ConnectionGuard(const ConnectionGuard&) = delete;
  ConnectionGuard& operator=(const ConnectionGuard&) = delete;

  // For Poco::Net::TCPServer; makes guarded connections.
  Poco::Net::TCPServerConnectionFactory::Ptr factory();

  // Shuts down every connection's socket.
  void abortAll();

  int connections() const { return active_.load(); }

  // On the thread serving a connection: the request has been received
  // whole; no deadline while it is answered (an SSE stream may last hours).
  // (When each handler returns, the guard re-arms the deadline itself.)
  static void requestReceived();

  // On the thread serving a connection: hands the connection over to the
  // caller as a descriptor of its own (the caller closes it); -1 when the
  // calling thread serves none. The response must say Connection: close:
  // Poco's connection then ends after the handler, and the guard neither
  // waits on nor closes the connection handed over.
  static int detach();

 private:
  class Connection;
  class Factory;
  class Handlers;
  struct Watched;

  // On the thread serving a connection: the response is done; the next
  // request on this connection must arrive within the idle and request
  // timeouts.
  static void responseDone();

  void watch();  // the watchdog thread

  // The connection the calling thread serves.
  static thread_local Watched* current_;

  const ConnectionLimits limits_;
  Poco::Net::HTTPServerParams::Ptr params_;
  Poco::Net::HTTPRequestHandlerFactory::Ptr handlers_;
  std::atomic<int> active_{0};

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::set<Watched*> watched_;
  bool stopping_ = false;
  std::thread watchdog_;
};

}  // namespace mcpkeep::http
