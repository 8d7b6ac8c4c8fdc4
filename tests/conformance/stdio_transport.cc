#include "stdio_transport.h"

#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mcpkeep::test {

using nlohmann::json;

namespace {

class StdioTransport {
 public:
  explicit StdioTransport(McpServer& server) : server_(server), hub_(server.hub()) {}

  int run() {
    std::string line;
    while (std::getline(std::cin, line)) {
      const json message = json::parse(line, nullptr, false);
      if (!message.is_object()) continue;
      if (message.contains("method") && message.contains("id")) {
        request(message);
      } else if (!session_.empty()) {
        server_.handleNotification(session_, message);
      }
    }
    hub_.shutdown();
    server_.shutdown(std::chrono::milliseconds(0));
    for (std::thread& t : writers_) t.join();
    return 0;
  }

 private:
  void request(const json& message) {
    const Dispatcher::Dispatch dispatch = server_.handleRequest(session_, message);
    if (dispatch.rejection) {
      write(*dispatch.rejection);
      return;
    }
    if (session_.empty()) {
      session_ = dispatch.session_id;
      // From now on: what the server sends outside requests.
      const auto session = hub_.store().session(session_);
      follow(hub_.subscribe(session_, EventId{hub_.store().standaloneStream(session_), session->last_seq}));
    }
    follow(hub_.follow(session_, dispatch.stream));
  }

  // Writes what the subscription delivers until its stream ends.
  void follow(Subscription subscription) {
    writers_.emplace_back([this, s = std::move(subscription)]() mutable {
      for (;;) {
        const Delivery d = s.next(std::chrono::seconds(1));
        if (d.kind == Delivery::Kind::kEvent) write(json::parse(d.event.data));
        if (d.kind == Delivery::Kind::kStreamEnded || d.kind == Delivery::Kind::kShutdown) return;
      }
    });
  }

  void write(const json& message) {
    std::lock_guard<std::mutex> lock(out_);
    std::cout << message.dump() << '\n' << std::flush;
  }

  McpServer& server_;
  Hub& hub_;
  std::string session_;
  std::mutex out_;
  std::vector<std::thread> writers_;
};

}  // namespace

int serveStdio(McpServer& server) { return StdioTransport(server).run(); }

}  // namespace mcpkeep::test
