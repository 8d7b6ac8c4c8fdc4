#include "http/connection_guard.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerConnection.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/TCPServerConnection.h>

#include "http/framing.h"
#include "http/http_error.h"
#include "mcp/json_rpc.h"

namespace mcpkeep::http {

using Clock = std::chrono::steady_clock;

// A connection being served, as the watchdog sees it.
struct ConnectionGuard::Watched {
  Poco::Net::StreamSocket socket;
  // Clock ticks; 0: no deadline (the request is being answered).
  std::atomic<Clock::rep> deadline{0};
  const ConnectionGuard* guard;
  // Poco closes the socket when its HTTP session ends; this descriptor
  // keeps the connection for the lingering close, or for detach().
  int own_fd = -1;
};

namespace {

std::string refusal(int max_connections) {
  const std::string body =
      mcp::errorMessage(nullptr, kServerError,
                        "too many connections (the limit is " + std::to_string(max_connections) +
                            "); retry later")
          .dump();
  return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
         "Retry-After: 1\r\nConnection: close\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

// Ends a connection without losing its last answer. When the last
// descriptor of a socket with unread input is closed, the kernel resets the
// connection, and a reset can destroy an answer the client has not read yet
// (a 413 or 403 sent before the body, a refusal). So on a descriptor of its
// own: stop sending (the client sees the end), read and drop what the
// client still sends until it closes, for at most a second, then close.
void lingeringClose(int fd) {
  if (fd < 0) return;
  ::shutdown(fd, SHUT_WR);
  const auto deadline = Clock::now() + std::chrono::seconds(1);
  char buffer[16384];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd ready{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&ready, 1, static_cast<int>(left.count())) <= 0) break;
    if (::recv(fd, buffer, sizeof buffer, 0) <= 0) break;
  }
  ::close(fd);
}

}  // namespace

thread_local ConnectionGuard::Watched* ConnectionGuard::current_ = nullptr;

class ConnectionGuard::Connection : public Poco::Net::TCPServerConnection {
 public:
  Connection(const Poco::Net::StreamSocket& socket, ConnectionGuard& guard)
      : TCPServerConnection(socket), guard_(guard) {}

  void run() override {
    if (guard_.active_.fetch_add(1) >= guard_.limits_.max_connections) {
      --guard_.active_;
      refuse();
      return;
    }
    Watched watched{socket(), {}, &guard_, ::dup(socket().impl()->sockfd())};
    watched.deadline = (Clock::now() + guard_.limits_.request_timeout).time_since_epoch().count();
    {
      std::lock_guard<std::mutex> lock(guard_.mutex_);
      guard_.watched_.insert(&watched);
    }
    current_ = &watched;
    try {
      const Poco::Timespan idle(std::chrono::duration_cast<std::chrono::microseconds>(
                                    guard_.limits_.idle_timeout).count());
      socket().setSendTimeout(idle);
      socket().setReceiveTimeout(idle);
      Poco::Net::HTTPServerConnection(socket(), guard_.params_, guard_.handlers_).run();
    } catch (const Poco::Exception&) {
      // The client went, timed out or was cut off: the connection ends.
    }
    current_ = nullptr;
    {
      std::lock_guard<std::mutex> lock(guard_.mutex_);
      guard_.watched_.erase(&watched);
    }
    lingeringClose(watched.own_fd);  // unless detached
    --guard_.active_;
  }

 private:
  // Answers 503 and closes.
  void refuse() {
    try {
      const std::string answer = refusal(guard_.limits_.max_connections);
      socket().sendBytes(answer.data(), static_cast<int>(answer.size()));
    } catch (const Poco::Exception&) {
    }
    lingeringClose(::dup(socket().impl()->sockfd()));
  }

  ConnectionGuard& guard_;
};

class ConnectionGuard::Factory : public Poco::Net::TCPServerConnectionFactory {
 public:
  explicit Factory(ConnectionGuard& guard) : guard_(guard) {}
  Poco::Net::TCPServerConnection* createConnection(const Poco::Net::StreamSocket& socket) override {
    return new Connection(socket, guard_);
  }

 private:
  ConnectionGuard& guard_;
};

// The handlers given, each wrapped in the framing rule (framing.h) and so
// that its return, however it ends, re-arms the connection's deadline for
// the next request.
class ConnectionGuard::Handlers : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Handlers(Poco::Net::HTTPRequestHandlerFactory::Ptr inner, int64_t drain_limit)
      : inner_(std::move(inner)), drain_limit_(drain_limit) {}

  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest& request) override {
    const Framing framing(request, drain_limit_);
    return new Handled(framing, framing.problem() ? nullptr : inner_->createRequestHandler(request));
  }

 private:
  class Handled : public Poco::Net::HTTPRequestHandler {
   public:
    Handled(Framing framing, Poco::Net::HTTPRequestHandler* inner) : framing_(std::move(framing)), inner_(inner) {}
    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override {
      framing_.prepare(response);
      {
        struct Done {
          ~Done() { ConnectionGuard::responseDone(); }
        } done;
        if (!inner_) {
          sendError(response, 400, kServerError, "malformed request framing: " + *framing_.problem());
          return;
        }
        inner_->handleRequest(request, response);
      }
      framing_.finish(request, response);
    }

   private:
    const Framing framing_;
    std::unique_ptr<Poco::Net::HTTPRequestHandler> inner_;
  };

  Poco::Net::HTTPRequestHandlerFactory::Ptr inner_;
  const int64_t drain_limit_;
};

ConnectionGuard::ConnectionGuard(ConnectionLimits limits, Poco::Net::HTTPServerParams::Ptr params,
                                 Poco::Net::HTTPRequestHandlerFactory::Ptr handlers)
    : limits_(limits), params_(std::move(params)), handlers_(new Handlers(std::move(handlers), limits.drain_limit)) {
  watchdog_ = std::thread([this] { watch(); });
}

ConnectionGuard::~ConnectionGuard() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  watchdog_.join();
}

Poco::Net::TCPServerConnectionFactory::Ptr ConnectionGuard::factory() {
  return new Factory(*this);
}

void ConnectionGuard::requestReceived() {
  if (current_) current_->deadline = 0;
}

int ConnectionGuard::detach() {
  if (!current_) return -1;
  const int fd = current_->own_fd;
  current_->own_fd = -1;
  return fd;
}

void ConnectionGuard::responseDone() {
  if (!current_) return;
  const ConnectionLimits& limits = current_->guard->limits_;
  current_->deadline = (Clock::now() + limits.idle_timeout + limits.request_timeout).time_since_epoch().count();
}

void ConnectionGuard::abortAll() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (Watched* w : watched_) {
    try {
      w->socket.shutdown();
    } catch (const Poco::Exception&) {
    }
  }
}

void ConnectionGuard::watch() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, std::chrono::milliseconds(100));
    const Clock::rep now = Clock::now().time_since_epoch().count();
    for (Watched* w : watched_) {
      const Clock::rep deadline = w->deadline;
      if (deadline == 0 || deadline > now) continue;
      w->deadline = 0;
      try {
        w->socket.shutdown();  // the serving thread's read returns; it ends
      } catch (const Poco::Exception&) {
      }
    }
  }
}

}  // namespace mcpkeep::http
