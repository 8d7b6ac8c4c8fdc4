// Limits: each configurable, each answered with a clear status, never a
// crash, and none lets one client keep the others out.
#include <catch2/catch.hpp>

#include <atomic>
#include <memory>
#include <thread>

#include "helpers/raw_http.h"
#include "helpers/server_fixture.h"

using nlohmann::json;
using mcpkeep::HttpOptions;
using mcpkeep::test::McpClient;
using mcpkeep::test::RawHttp;
using mcpkeep::test::ServerFixture;
using mcpkeep::test::statusOf;
using Clock = std::chrono::steady_clock;

namespace {

std::string rawPost(const std::string& body, const std::string& extra_headers = "") {
  return "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
         "Accept: application/json, text/event-stream\r\n" + extra_headers +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

const json kInitialize = {{"jsonrpc", "2.0"}, {"id", 1}, {"method", "initialize"},
                          {"params", {{"protocolVersion", "2025-11-25"}, {"capabilities", json::object()},
                                      {"clientInfo", {{"name", "t"}, {"version", "1"}}}}}};

// Retries `attempt` until it returns true or `wait` passes.
template <typename F>
bool eventually(F attempt, std::chrono::milliseconds wait) {
  const auto deadline = Clock::now() + wait;
  while (Clock::now() < deadline) {
    if (attempt()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

}  // namespace

TEST_CASE("headers over max_header_bytes get 431, one field over Poco's 8 KiB gets 400") {
  HttpOptions options = mcpkeep::test::testHttpOptions();
  options.max_header_bytes = 4096;
  ServerFixture server(options);
  std::string many;
  for (int i = 0; i < 10; ++i) many += "X-Filler-" + std::to_string(i) + ": " + std::string(1000, 'a') + "\r\n";
  RawHttp big(server.http.port());
  big.send(rawPost(kInitialize.dump(), many));
  const std::string reply = big.readResponse();
  CHECK(statusOf(reply) == 431);
  CHECK(json::parse(mcpkeep::test::bodyOf(reply))["error"]["message"].get<std::string>().find("4096") !=
        std::string::npos);

  RawHttp huge(server.http.port());
  huge.send(rawPost(kInitialize.dump(), "X-Huge: " + std::string(9000, 'a') + "\r\n"));
  CHECK(statusOf(huge.readResponse()) == 400);

  // Neither left a session behind, and a normal client is served.
  CHECK(server.store.sessionCount() == 0);
  McpClient client = server.client();
  CHECK(client.initialize().status == 200);
}

TEST_CASE("an initialize beyond max_sessions gets 503 and existing sessions keep working") {
  HttpOptions options = mcpkeep::test::testHttpOptions();
  options.max_sessions = 3;
  ServerFixture server(options);
  std::vector<McpClient> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(server.client());
    REQUIRE(clients.back().initialize().status == 200);
  }
  McpClient extra = server.client();
  const auto refused = extra.post(kInitialize);
  CHECK(refused.status == 503);
  CHECK(refused.header("Retry-After") == "60");
  CHECK(refused.parsedBody()["error"]["message"].get<std::string>().find("3 sessions") != std::string::npos);
  CHECK(server.store.sessionCount() == 3);
  for (auto& c : clients) CHECK(c.request("ping").contains("result"));

  // Deleting one makes room.
  REQUIRE(clients[0].send("DELETE", "", clients[0].standardHeaders()).status == 200);
  CHECK(extra.initialize().status == 200);
}

TEST_CASE("streams beyond max_streams_per_session get 429, other sessions are not limited") {
  HttpOptions options = mcpkeep::test::testHttpOptions();
  options.max_streams_per_session = 2;
  options.keep_alive_interval = std::chrono::milliseconds(100);  // notices closed clients soon
  ServerFixture server(options);
  McpClient greedy = server.client();
  greedy.initialize();
  // Two open streams: GETs of the standalone stream, on raw connections.
  const std::string get = "GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                          "Mcp-Session-Id: " + greedy.session_id + "\r\n\r\n";
  std::vector<std::unique_ptr<RawHttp>> streams;
  for (int i = 0; i < 2; ++i) {
    streams.push_back(std::make_unique<RawHttp>(server.http.port()));
    REQUIRE(streams.back()->send(get));
    REQUIRE(statusOf(streams.back()->readUntilClosed(std::chrono::milliseconds(300))) == 200);
  }
  const auto refused = greedy.post({{"jsonrpc", "2.0"}, {"id", 9}, {"method", "ping"}});
  CHECK(refused.status == 429);
  CHECK(refused.parsedBody()["error"]["code"] == -32000);
  CHECK(greedy.get({}, 1).status == 429);

  McpClient other = server.client();
  other.initialize();
  CHECK(other.request("ping").contains("result"));

  // A stream closed by its client frees its slot.
  streams.pop_back();
  CHECK(eventually([&] { return greedy.request("ping").contains("result"); }, std::chrono::seconds(10)));
}

TEST_CASE("a connection beyond max_connections gets 503 at once, a freed one serves again") {
  HttpOptions options = mcpkeep::test::testHttpOptions();
  options.max_connections = 3;
  ServerFixture server(options);
  McpClient client = server.client();
  client.initialize();
  // Three connections held by idle keep-alive clients.
  std::vector<std::unique_ptr<RawHttp>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<RawHttp>(server.http.port()));
    REQUIRE(held.back()->send("GET /nowhere HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
    REQUIRE(statusOf(held.back()->readResponse()) == 404);
  }
  const auto refused = client.post({{"jsonrpc", "2.0"}, {"id", 5}, {"method", "ping"}});
  CHECK(refused.status == 503);
  CHECK(refused.parsedBody()["error"]["message"].get<std::string>().find("too many connections") !=
        std::string::npos);
  held.pop_back();  // closes one
  CHECK(eventually([&] { return client.request("ping").contains("result"); }, std::chrono::seconds(10)));
}

TEST_CASE("slow clients (slowloris) are cut off after request_timeout and keep no one out") {
  HttpOptions options = mcpkeep::test::testHttpOptions();
  options.max_connections = 6;
  options.request_timeout = std::chrono::milliseconds(500);
  ServerFixture server(options);  // idle_timeout stays 30 s: only the deadline can cut them off

  // Every connection the server has, each trickling a request's headers one
  // byte every 50 ms: each read succeeds, so no per-read timeout fires.
  std::vector<std::unique_ptr<RawHttp>> slow;
  for (int i = 0; i < 6; ++i) slow.push_back(std::make_unique<RawHttp>(server.http.port()));
  std::atomic<int> cut_off{0};
  std::vector<std::thread> tricklers;
  const auto started = Clock::now();
  for (auto& connection : slow) {
    tricklers.emplace_back([&, c = connection.get()] {
      const std::string request = rawPost(kInitialize.dump());
      for (std::size_t i = 0; i < request.size() && Clock::now() - started < std::chrono::seconds(10); ++i) {
        if (!c->send(request.substr(i, 1))) break;
        if (c->closedByServer(std::chrono::milliseconds(50))) break;
      }
      if (c->closedByServer(std::chrono::milliseconds(100))) ++cut_off;
    });
  }
  // A normal client gets in once the slow ones are cut off.
  McpClient client = server.client();
  CHECK(eventually([&] { return client.initialize().status == 200; }, std::chrono::seconds(5)));
  const auto served_after = Clock::now() - started;
  for (auto& t : tricklers) t.join();
  CHECK(cut_off == 6);
  CHECK(served_after < std::chrono::seconds(5));
  CHECK(server.store.sessionCount() == 1);
}

TEST_CASE("an idle keep-alive connection is closed after idle_timeout") {
  HttpOptions options = mcpkeep::test::testHttpOptions();
  options.idle_timeout = std::chrono::milliseconds(300);
  ServerFixture server(options);
  RawHttp connection(server.http.port());
  REQUIRE(connection.send("GET /nowhere HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  REQUIRE(statusOf(connection.readResponse()) == 404);
  CHECK(connection.closedByServer(std::chrono::seconds(5)));
}

TEST_CASE("a client that stops reading its stream is cut off after idle_timeout and holds nothing") {
  HttpOptions options = mcpkeep::test::testHttpOptions();
  options.max_connections = 1;
  options.idle_timeout = std::chrono::milliseconds(500);
  ServerFixture server(options);
  McpClient client = server.client();
  client.initialize();
  // A standalone stream whose client never reads past its headers. (The
  // initialize's connection may hold the only slot a moment longer: a 503
  // for that is tried again.)
  std::unique_ptr<RawHttp> stalled;
  REQUIRE(eventually([&] {
    stalled = std::make_unique<RawHttp>(server.http.port());
    stalled->send("GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                  "Mcp-Session-Id: " + client.session_id + "\r\n\r\n");
    return statusOf(stalled->readHead()) == 200;
  }, std::chrono::seconds(10)));
  const auto streams_open = [&] {
    RawHttp http(server.http.port());
    http.send("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    const std::string page = mcpkeep::test::bodyOf(http.readResponse());
    const auto at = page.find("\nmcpkeep_sse_streams_open ");
    return at == std::string::npos ? -1 : std::stoi(page.substr(at + 26));
  };
  REQUIRE(eventually([&] { return streams_open() == 1; }, std::chrono::seconds(10)));
  // The stream waits without holding the only connection (which the
  // /metrics reads above hold for a moment).
  const auto ping = [&] { return client.post({{"jsonrpc", "2.0"}, {"id", 2}, {"method", "ping"}}).status == 200; };
  CHECK(eventually(ping, std::chrono::seconds(10)));
  // Far more than the socket buffers hold: the output backs up, the client
  // takes none of it, and the server gives up on it.
  const std::string big = json({{"jsonrpc", "2.0"}, {"method", "notifications/message"},
                                {"params", {{"level", "info"}, {"data", std::string(64 << 10, 'x')}}}})
                              .dump();
  for (int i = 0; i < 320; ++i) server.hub.publish(client.session_id, "message", big);
  CHECK(eventually([&] { return streams_open() == 0; }, std::chrono::seconds(10)));
}

TEST_CASE("the request deadline holds for every request of a keep-alive connection, not only the first") {
  HttpOptions options = mcpkeep::test::testHttpOptions();
  options.request_timeout = std::chrono::milliseconds(300);
  options.idle_timeout = std::chrono::milliseconds(300);
  ServerFixture server(options);
  RawHttp connection(server.http.port());
  // A first request the endpoint has received whole (no deadline while it is answered)...
  REQUIRE(connection.send("GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"));
  REQUIRE(statusOf(connection.readResponse()) == 405);  // no session id: not this era's GET
  // ...then a second one trickled a byte every 50 ms: each read succeeds, so
  // only the re-armed deadline can end it.
  const std::string next = "GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + std::string(200, 'a') + "\r\n\r\n";
  const auto started = Clock::now();
  bool cut_off = false;
  for (std::size_t i = 0; i < next.size() && !cut_off; ++i) {
    if (!connection.send(next.substr(i, 1))) break;
    cut_off = connection.closedByServer(std::chrono::milliseconds(50));
  }
  CHECK((cut_off || connection.closedByServer(std::chrono::milliseconds(500))));
  CHECK(Clock::now() - started < std::chrono::seconds(5));
}
