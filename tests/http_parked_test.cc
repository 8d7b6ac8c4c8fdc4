// Parked SSE streams: GET streams wait in the server's event loop, not on a
// thread each. What a client relies on: any number of idle streams still
// deliver, keep alive, end cleanly on stop and on hang-up, and cost the
// server no thread.
#include <catch2/catch.hpp>

#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include "helpers/raw_http.h"
#include "helpers/server_fixture.h"

using nlohmann::json;
using mcpkeep::HttpOptions;
using mcpkeep::test::McpClient;
using mcpkeep::test::RawHttp;
using mcpkeep::test::ServerFixture;
using mcpkeep::test::statusOf;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

int threadsOfThisProcess() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "Threads:") {
      int n = 0;
      status >> n;
      return n;
    }
  }
  return -1;
}

std::string getStream(const std::string& session_id, const std::string& last_event_id = "") {
  return "GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
         "Mcp-Session-Id: " + session_id + "\r\n" +
         (last_event_id.empty() ? "" : "Last-Event-ID: " + last_event_id + "\r\n") + "\r\n";
}

// The value of a gauge on /metrics.
double gauge(uint16_t port, const std::string& name) {
  RawHttp http(port);
  http.send("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  std::istringstream lines(mcpkeep::test::bodyOf(http.readResponse()));
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
  }
  return -1;
}

template <typename F>
bool eventually(F condition, std::chrono::milliseconds wait) {
  const auto deadline = Clock::now() + wait;
  while (Clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return condition();
}

// A session with its standalone GET stream open (headers read). The
// connection of the initialize before it may still hold its slot for a
// moment after the answer (the server ends it once it sees the close): a
// GET refused with 503 for that is tried again.
struct OpenStream {
  explicit OpenStream(ServerFixture& server) : client(server.client()) {
    client.initialize();
    const auto deadline = Clock::now() + 10s;
    do {
      http = std::make_unique<RawHttp>(server.http.port());
      REQUIRE(http->send(getStream(client.session_id)));
      head = http->readHead();
    } while (statusOf(head) == 503 && Clock::now() < deadline);
  }
  McpClient client;
  std::unique_ptr<RawHttp> http;
  std::string head;
};

}  // namespace

TEST_CASE("idle GET streams far beyond max_connections each wait without a thread and still deliver") {
  HttpOptions options = mcpkeep::test::testHttpOptions();
  options.max_connections = 4;
  ServerFixture server(options);
  const int threads_before = threadsOfThisProcess();
  constexpr int kStreams = 200;
  std::vector<std::unique_ptr<OpenStream>> streams;
  for (int i = 0; i < kStreams; ++i) {
    streams.push_back(std::make_unique<OpenStream>(server));
    REQUIRE(statusOf(streams.back()->head) == 200);
    CHECK(streams.back()->head.find("Connection: Close") != std::string::npos);
  }
  // A thread per stream would be 200 more; the pool's few come and go.
  CHECK(threadsOfThisProcess() - threads_before < 40);
  CHECK(gauge(server.http.port(), "mcpkeep_sse_streams_open") == kStreams);
  CHECK(gauge(server.http.port(), "mcpkeep_sse_streams_parked") == kStreams);
  // Still answered: no connection slot is held by a waiting stream.
  CHECK(streams.front()->client.request("ping").contains("result"));

  for (int i = 0; i < kStreams; ++i) {
    server.hub.publish(streams[i]->client.session_id, "message",
                       json({{"jsonrpc", "2.0"}, {"method", "notifications/message"},
                             {"params", {{"level", "info"}, {"data", "to " + std::to_string(i)}}}}).dump());
  }
  for (int i = 0; i < kStreams; ++i) {
    const std::string got = streams[i]->http->readUntilFound("\"to " + std::to_string(i) + "\"");
    INFO("stream " << i);
    CHECK(!got.empty());
  }
}

TEST_CASE("a parked stream sends keep-alive comments and lets go after close_streams_after") {
  HttpOptions options = mcpkeep::test::testHttpOptions();
  options.keep_alive_interval = 100ms;
  options.close_streams_after = 1500ms;
  ServerFixture server(options);
  OpenStream stream(server);
  REQUIRE(statusOf(stream.head) == 200);
  CHECK(!stream.http->readUntilFound(": keep-alive\n\n", 5s).empty());
  // Let go with a retry hint, the chunked body ended, the connection closed.
  CHECK(!stream.http->readUntilFound("retry: ", 5s).empty());
  CHECK(!stream.http->readUntilFound("\r\n0\r\n\r\n", 5s).empty());
  CHECK(stream.http->closedByServer(5s));
}

TEST_CASE("a parked stream whose client hangs up is closed at once") {
  ServerFixture server;
  {
    OpenStream stream(server);
    REQUIRE(statusOf(stream.head) == 200);
    CHECK(gauge(server.http.port(), "mcpkeep_sse_streams_open") == 1);
  }  // the client closes its socket
  CHECK(eventually([&] { return gauge(server.http.port(), "mcpkeep_sse_streams_open") == 0; }, 5s));
}

TEST_CASE("a resumed stream is parked too: it replays, then goes on live") {
  ServerFixture server;
  McpClient client = server.client();
  client.initialize();
  const std::string first = server.hub.publish(client.session_id, "message", R"({"n":1})");
  server.hub.publish(client.session_id, "message", R"({"n":2})");
  RawHttp http(server.http.port());
  REQUIRE(http.send(getStream(client.session_id, first)));
  REQUIRE(statusOf(http.readHead()) == 200);
  CHECK(!http.readUntilFound(R"({"n":2})").empty());
  server.hub.publish(client.session_id, "message", R"({"n":3})");
  CHECK(!http.readUntilFound(R"({"n":3})").empty());
}

TEST_CASE("stopping the server ends every parked stream with a retry hint and a complete body") {
  ServerFixture server;
  std::vector<std::unique_ptr<OpenStream>> streams;
  for (int i = 0; i < 20; ++i) {
    streams.push_back(std::make_unique<OpenStream>(server));
    REQUIRE(statusOf(streams.back()->head) == 200);
  }
  std::thread stopper([&] { server.http.stop(std::chrono::seconds(5)); });
  for (auto& s : streams) {
    const std::string rest = s->http->readUntilFound("\r\n0\r\n\r\n", 10s);
    CHECK(rest.find("retry: ") != std::string::npos);
    CHECK(s->http->closedByServer(5s));
  }
  stopper.join();
}

TEST_CASE("a parked stream delivers what another process appends to its session") {
  ServerFixture server;
  OpenStream stream(server);
  REQUIRE(statusOf(stream.head) == 200);
  // Another Store on the file stands for another process: only the hub's
  // watcher can notice its commit.
  mcpkeep::Store other(server.dir.file("server.db"), mcpkeep::test::testOptions());
  other.append(stream.client.session_id, other.standaloneStream(stream.client.session_id), "message",
               R"({"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"from elsewhere"}})");
  CHECK(!stream.http->readUntilFound("from elsewhere").empty());
}

TEST_CASE("a parked stream resumed far behind sends its whole backlog without waiting for news") {
  ServerFixture server;
  McpClient client = server.client();
  client.initialize();
  // Several times what the loop writes at once (64 KB), all stored before
  // the resume: no publish rings while it is sent.
  const std::string first = server.hub.publish(client.session_id, "message", R"({"n":0})");
  const std::string chunk(16 << 10, 'x');
  for (int n = 1; n <= 100; ++n) {
    server.hub.publish(client.session_id, "message",
                       json({{"n", n}, {"pad", chunk}}).dump());
  }
  RawHttp http(server.http.port());
  REQUIRE(http.send(getStream(client.session_id, first)));
  REQUIRE(statusOf(http.readHead()) == 200);
  CHECK(!http.readUntilFound(R"({"n":100,)", 20s).empty());
}
