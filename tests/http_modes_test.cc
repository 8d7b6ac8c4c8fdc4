// The transport's other modes: streams the server closes early (SEP-1699
// polling) and clients resume, JSON responses, 2025-03-26 batches.
#include <catch2/catch.hpp>

#include <set>

#include "helpers/server_fixture.h"

using nlohmann::json;
using mcpkeep::test::HttpReply;
using mcpkeep::test::McpClient;
using mcpkeep::test::ServerFixture;
using mcpkeep::test::SseEvent;

namespace {

json call(int id, const std::string& tool, const json& arguments = json::object()) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"method", "tools/call"},
          {"params", {{"name", tool}, {"arguments", arguments}, {"_meta", {{"progressToken", id}}}}}};
}

bool isResponse(const SseEvent& e, int id) {
  const json m = json::parse(e.data, nullptr, false);
  return m.is_object() && m.value("id", json()) == id && !m.contains("method");
}

// The last event id the client holds after `events` (empty when none).
std::string lastId(const std::vector<SseEvent>& events, std::string before) {
  for (const auto& e : events) {
    if (!e.id.empty()) before = e.id;
  }
  return before;
}

}  // namespace

TEST_CASE("a tool that closes its SSE stream is answered on the resumed stream") {
  ServerFixture server;
  McpClient client = server.client();
  client.initialize();
  const HttpReply first = client.post(call(7, "reconnect"));
  CHECK(first.status == 200);
  REQUIRE(first.events.size() == 2);  // the priming event, then a retry hint
  CHECK(first.events[0].data.empty());
  CHECK(first.events[1].retry == mcpkeep::HttpOptions().retry.count());
  CHECK(first.events[1].id.empty());
  CHECK(first.response(7).is_null());

  server.releaseReconnect();
  const HttpReply resumed = client.get({{"Last-Event-ID", first.events[0].id}}, SIZE_MAX);
  CHECK(resumed.status == 200);
  REQUIRE(resumed.events.size() == 1);
  CHECK(resumed.response(7)["result"]["content"][0]["text"] == "after the reconnect");
}

TEST_CASE("with close_streams_after clients poll: every event arrives once and in order") {
  mcpkeep::HttpOptions options = mcpkeep::test::testHttpOptions();
  options.close_streams_after = std::chrono::milliseconds(150);
  ServerFixture server(options);
  McpClient client = server.client();
  client.initialize();
  HttpReply reply = client.post(call(9, "progress", {{"steps", 6}, {"interval_ms", 60}}));
  std::vector<SseEvent> seen = reply.events;
  int connections = 1;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!isResponse(seen.back(), 9) && std::chrono::steady_clock::now() < deadline) {
    REQUIRE(seen.back().retry == options.retry.count());  // each closed stream says when to come back
    reply = client.get({{"Last-Event-ID", lastId(seen, "")}}, SIZE_MAX);
    REQUIRE(reply.status == 200);
    seen.insert(seen.end(), reply.events.begin(), reply.events.end());
    ++connections;
  }
  CHECK(connections >= 2);
  std::vector<double> progress;
  std::vector<std::string> ids;
  for (const auto& e : seen) {
    if (e.id.empty() || e.data.empty()) continue;
    ids.push_back(e.id);
    const json m = json::parse(e.data);
    if (m.value("method", "") == "notifications/progress") progress.push_back(m["params"]["progress"]);
  }
  CHECK(progress == std::vector<double>{1, 2, 3, 4, 5, 6});
  REQUIRE(ids.size() == 7);  // six progress notifications and the response, no duplicate
  CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == 7);
  CHECK(isResponse(seen.back(), 9));
}

TEST_CASE("in JSON response mode each request gets its response as an application/json body") {
  mcpkeep::HttpOptions options = mcpkeep::test::testHttpOptions();
  options.json_responses = true;
  ServerFixture server(options);
  McpClient client = server.client();
  const HttpReply init = client.initialize();
  CHECK(init.status == 200);
  CHECK(init.header("Content-Type") == "application/json");
  CHECK(client.session_id.size() == 32);
  CHECK(init.parsedBody()["result"]["protocolVersion"] == "2025-11-25");

  const HttpReply called = client.post(call(3, "progress", {{"steps", 2}}));
  CHECK(called.header("Content-Type") == "application/json");
  const json body = called.parsedBody();
  CHECK(body["id"] == 3);
  CHECK(body["result"]["content"][0]["text"] == "done");
  // The notifications were stored, as every message is.
  CHECK(server.store.eventsAfter(client.session_id, mcpkeep::EventId{server.store.streams(client.session_id).back().id, 0}, 10)
            .events.size() == 3);
}

TEST_CASE("2025-03-26 sessions may POST batches, the responses share one stream") {
  ServerFixture server;
  McpClient client = server.client();
  client.initialize("2025-03-26");
  const json batch = json::array({call(1, "echo", {{"message", "one"}}),
                                  {{"jsonrpc", "2.0"}, {"method", "notifications/roots/list_changed"}},
                                  {{"jsonrpc", "2.0"}, {"id", 2}, {"method", "ping"}}});
  const HttpReply reply = client.post(batch);
  CHECK(reply.status == 200);
  CHECK(reply.response(1)["result"]["content"][0]["text"] == "one");
  CHECK(reply.response(2)["result"] == json::object());

  SECTION("a batch of notifications only is accepted with 202") {
    const HttpReply accepted =
        client.post(json::array({{{"jsonrpc", "2.0"}, {"method", "notifications/roots/list_changed"}}}));
    CHECK(accepted.status == 202);
    CHECK(accepted.body.empty());
  }
  SECTION("a batch with a bad element is refused whole and runs nothing") {
    const auto streams_before = server.store.streams(client.session_id).size();
    const HttpReply refused = client.post(json::array({call(5, "echo"), {{"jsonrpc", "1.0"}}}));
    CHECK(refused.status == 400);
    CHECK(refused.parsedBody()["error"]["code"] == -32600);
    CHECK(refused.parsedBody()["error"]["message"].get<std::string>().find("batch element 1") == 0);
    CHECK(server.store.streams(client.session_id).size() == streams_before);
  }
  SECTION("empty batches and initialize in a batch are refused") {
    CHECK(client.post(json::array()).status == 400);
    const json init = {{"jsonrpc", "2.0"}, {"id", 9}, {"method", "initialize"},
                       {"params", {{"protocolVersion", "2025-03-26"}}}};
    CHECK(client.post(json::array({init})).status == 400);
  }
}

TEST_CASE("batches are refused for protocol versions after 2025-03-26") {
  ServerFixture server;
  McpClient client = server.client();
  client.initialize("2025-06-18");
  const HttpReply reply = client.post(json::array({call(1, "echo")}));
  CHECK(reply.status == 400);
  CHECK(reply.parsedBody()["error"]["message"].get<std::string>().find("2025-03-26") != std::string::npos);
}
