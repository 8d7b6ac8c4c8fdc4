// The Streamable HTTP transport over real HTTP: status codes, header rules,
// priming, ids and retry, replay outcomes, DELETE, Origin/Host, auth.
#include <catch2/catch.hpp>

#include <future>
#include <sstream>
#include <thread>

#include <Poco/Exception.h>

#include "helpers/server_fixture.h"
#include "http/sse.h"

using nlohmann::json;
using mcpkeep::test::McpClient;
using mcpkeep::test::ServerFixture;

namespace {

json initializeMessage(const std::string& version) {
  return {{"jsonrpc", "2.0"}, {"id", 1}, {"method", "initialize"},
          {"params", {{"protocolVersion", version}, {"capabilities", json::object()},
                      {"clientInfo", {{"name", "t"}, {"version", "1"}}}}}};
}

int rpcErrorCode(const mcpkeep::test::HttpReply& reply) {
  return reply.parsedBody()["error"]["code"].get<int>();
}

}  // namespace

TEST_CASE("initialize answers on an SSE stream with a session id and a priming event") {
  ServerFixture server;
  McpClient client = server.client();
  const auto reply = client.initialize("2025-11-25");
  CHECK(reply.status == 200);
  CHECK(reply.header("Content-Type").rfind("text/event-stream", 0) == 0);
  CHECK(client.session_id.size() == 32);
  REQUIRE(reply.events.size() >= 2);
  const auto priming = reply.events[0];
  CHECK(priming.data.empty());
  CHECK(mcpkeep::EventId::parse(priming.id));
  CHECK(priming.retry == mcpkeep::HttpOptions().retry.count());
  const json result = reply.response(1)["result"];
  CHECK(result["protocolVersion"] == "2025-11-25");
  CHECK(result["serverInfo"]["name"] == "mcpkeep");
  CHECK(result["capabilities"].contains("tools"));
  // The session, with what the client said, is in the store.
  const auto session = server.store.session(client.session_id);
  REQUIRE(session);
  CHECK(session->protocol_version == "2025-11-25");
  CHECK(session->client_info == std::optional<std::string>(R"({"name":"mcpkeep-test","version":"1"})"));
}

TEST_CASE("protocol versions are negotiated and older ones get no priming event") {
  ServerFixture server;
  McpClient client = server.client();
  SECTION("an unknown version is answered with the latest") {
    const auto reply = client.post(initializeMessage("2024-11-05"));
    CHECK(reply.response(1)["result"]["protocolVersion"] == "2025-11-25");
  }
  SECTION("2025-03-26 is kept, without a priming event") {
    const auto reply = client.post(initializeMessage("2025-03-26"));
    CHECK(reply.response(1)["result"]["protocolVersion"] == "2025-03-26");
    REQUIRE_FALSE(reply.events.empty());
    CHECK_FALSE(reply.events[0].data.empty());
  }
  SECTION("initialize without a protocolVersion is refused and makes no session") {
    const auto reply = client.post({{"jsonrpc", "2.0"}, {"id", 1}, {"method", "initialize"},
                                    {"params", json::object()}});
    CHECK(reply.status == 400);
    CHECK(reply.parsedBody()["error"]["code"] == -32602);
    CHECK(server.store.sessionCount() == 0);
  }
}

TEST_CASE("session rules: 400 without a session id and 404 for an unknown or deleted one") {
  ServerFixture server;
  McpClient client = server.client();
  const json ping = {{"jsonrpc", "2.0"}, {"id", 7}, {"method", "ping"}};
  CHECK(client.post(ping).status == 400);
  client.session_id = "0123456789abcdef0123456789abcdef";
  CHECK(client.post(ping).status == 404);
  CHECK(rpcErrorCode(client.post(ping)) == -32001);

  client.session_id.clear();
  client.initialize();
  CHECK(client.post(ping).status == 200);
  const int ping_id = client.next_id;
  CHECK(client.request("ping") == json{{"jsonrpc", "2.0"}, {"id", ping_id}, {"result", json::object()}});
  const auto deleted = client.send("DELETE", "", client.standardHeaders());
  CHECK(deleted.status == 200);
  CHECK(client.post(ping).status == 404);
  CHECK(client.send("DELETE", "", client.standardHeaders()).status == 404);
  CHECK(client.get({}, 1).status == 404);
}

TEST_CASE("POST header and body rules give 406 415 413 and 400 with JSON-RPC codes") {
  mcpkeep::HttpOptions options = mcpkeep::test::testHttpOptions();
  options.max_body_bytes = 1000;
  ServerFixture server(options);
  McpClient client = server.client();
  client.initialize();
  auto headers = client.standardHeaders();
  const std::string ping = R"({"jsonrpc":"2.0","id":9,"method":"ping"})";

  auto only_json = headers;
  only_json["Accept"] = "application/json";
  CHECK(client.send("POST", ping, only_json).status == 406);
  auto text = headers;
  text["Content-Type"] = "text/plain";
  CHECK(client.send("POST", ping, text).status == 415);
  const auto big = client.send("POST", R"({"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":")" +
                                           std::string(2000, 'x') + "\"}}", headers);
  CHECK(big.status == 413);

  const auto bad_json = client.send("POST", "{\"jsonrpc\":", headers);
  CHECK(bad_json.status == 400);
  CHECK(rpcErrorCode(bad_json) == -32700);
  const auto deep = client.send("POST", std::string(500, '[') + std::string(500, ']'), headers);
  CHECK(deep.status == 400);
  CHECK(rpcErrorCode(deep) == -32700);
  const auto not_rpc = client.send("POST", R"({"jsonrpc":"1.0","id":1,"method":"ping"})", headers);
  CHECK(not_rpc.status == 400);
  CHECK(rpcErrorCode(not_rpc) == -32600);
  const auto bad_id = client.send("POST", R"({"jsonrpc":"2.0","id":true,"method":"ping"})", headers);
  CHECK(rpcErrorCode(bad_id) == -32600);

  auto old_version = headers;
  old_version["MCP-Protocol-Version"] = "1999-01-01";
  CHECK(client.send("POST", ping, old_version).status == 400);
  auto no_version = headers;
  no_version.erase("MCP-Protocol-Version");  // assumed 2025-03-26: fine
  CHECK(client.send("POST", ping, no_version).status == 200);

  CHECK(client.send("PUT", ping, headers).status == 405);
}

TEST_CASE("notifications and responses are accepted with 202 and no body") {
  ServerFixture server;
  McpClient client = server.client();
  client.initialize();
  const auto notification = client.post({{"jsonrpc", "2.0"}, {"method", "notifications/whatever"}});
  CHECK(notification.status == 202);
  CHECK(notification.body.empty());
  const auto response = client.post({{"jsonrpc", "2.0"}, {"id", "s1"}, {"result", json::object()}});
  CHECK(response.status == 202);
}

TEST_CASE("tools are listed and called, errors are JSON-RPC errors or isError results") {
  ServerFixture server;
  McpClient client = server.client();
  client.initialize();
  const json tools = client.request("tools/list")["result"]["tools"];
  REQUIRE(tools.size() == 5);
  for (const auto& t : tools) {
    CHECK(t.contains("name"));
    CHECK(t.contains("description"));
    CHECK(t.contains("inputSchema"));
  }
  CHECK(client.request("tools/call", {{"name", "echo"}, {"arguments", {{"message", "hi"}}}})
            ["result"]["content"][0]["text"] == "hi");
  const json failed = client.request("tools/call", {{"name", "fail"}})["result"];
  CHECK(failed["isError"] == true);
  CHECK(failed["content"][0]["text"] == "it broke");
  const json unknown = client.request("tools/call", {{"name", "nope"}});
  CHECK(unknown["error"]["code"] == -32602);
  CHECK_THAT(unknown["error"]["message"].get<std::string>(), Catch::Contains("nope"));
  CHECK(client.request("tools/call", {{"name", "echo"}, {"arguments", 5}})["error"]["code"] == -32602);
  CHECK(client.request("tools/list", {{"cursor", "x"}})["error"]["code"] == -32602);
  CHECK(client.request("no/such/method")["error"]["code"] == -32601);
}

TEST_CASE("progress and log notifications come before the response on the request's stream") {
  ServerFixture server;
  McpClient client = server.client();
  client.initialize();
  CHECK(client.request("logging/setLevel", {{"level", "info"}})["result"] == json::object());
  CHECK(client.request("logging/setLevel", {{"level", "loud"}})["error"]["code"] == -32602);

  const auto reply = client.post({{"jsonrpc", "2.0"}, {"id", 50}, {"method", "tools/call"},
                                  {"params", {{"name", "progress"}, {"arguments", {{"steps", 3}}},
                                              {"_meta", {{"progressToken", "tok"}}}}}});
  std::vector<double> progress;
  std::string previous_id;
  for (const auto& e : reply.events) {
    if (e.data.empty()) continue;
    // Ids grow along the stream.
    if (!previous_id.empty()) CHECK(mcpkeep::EventId::parse(e.id)->seq > mcpkeep::EventId::parse(previous_id)->seq);
    previous_id = e.id;
    const json m = json::parse(e.data);
    if (m.value("method", "") == "notifications/progress") {
      CHECK(m["params"]["progressToken"] == "tok");
      progress.push_back(m["params"]["progress"]);
    }
  }
  CHECK(progress == std::vector<double>{1, 2, 3});
  CHECK(json::parse(reply.events.back().data)["id"] == 50);

  const auto logged = client.post({{"jsonrpc", "2.0"}, {"id", 51}, {"method", "tools/call"},
                                   {"params", {{"name", "log"}}}});
  std::vector<std::string> levels;
  for (const auto& e : logged.events) {
    if (e.data.empty()) continue;
    const json m = json::parse(e.data);
    if (m.value("method", "") == "notifications/message") levels.push_back(m["params"]["level"]);
  }
  CHECK(levels == std::vector<std::string>{"info", "error"});  // debug is below the set level
}

TEST_CASE("GET opens the standalone stream for server-initiated messages") {
  ServerFixture server;
  McpClient client = server.client();
  client.initialize();
  std::promise<void> primed;
  auto primed_future = primed.get_future();
  mcpkeep::test::HttpReply reply;
  std::thread reader([&] {
    reply = client.get({}, 2, [&](const mcpkeep::test::SseEvent& e) {
      if (e.data.empty() && !e.id.empty()) primed.set_value();  // the server is subscribed now
    });
  });
  REQUIRE(primed_future.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  server.hub.broadcast("message", R"({"jsonrpc":"2.0","method":"notifications/tools/list_changed"})");
  reader.join();
  CHECK(reply.status == 200);
  REQUIRE(reply.events.size() == 2);
  CHECK(reply.events[0].data.empty());
  CHECK(json::parse(reply.events[1].data)["method"] == "notifications/tools/list_changed");
}

TEST_CASE("a second server cannot bind a port another one holds, the first goes on serving") {
  ServerFixture first;
  mcpkeep::test::TempDir dir;
  mcpkeep::Store store(dir.file("second.db"), mcpkeep::test::testOptions());
  mcpkeep::Hub hub(store);
  mcpkeep::McpServer mcp(hub);
  mcpkeep::HttpOptions options = mcpkeep::test::testHttpOptions();
  options.port = first.http.port();
  mcpkeep::HttpServer second(mcp, options);
  CHECK_THROWS_AS(second.start(), Poco::Exception);
  McpClient client = first.client();
  client.initialize();
  CHECK(client.request("ping").contains("result"));
}
