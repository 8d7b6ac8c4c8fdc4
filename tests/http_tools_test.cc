// Tools over HTTP: cancellation, long calls beside other sessions, and
// tools/list pagination.
#include <catch2/catch.hpp>

#include <future>
#include <set>
#include <thread>

#include "helpers/server_fixture.h"

using nlohmann::json;
using mcpkeep::test::HttpReply;
using mcpkeep::test::McpClient;
using mcpkeep::test::ServerFixture;

TEST_CASE("a cancelled tool call stops, gets no response, and its stream ends") {
  ServerFixture server;
  McpClient client = server.client();
  client.initialize();

  auto running = std::async(std::launch::async, [&] {
    return client.post({{"jsonrpc", "2.0"}, {"id", 60}, {"method", "tools/call"},
                        {"params", {{"name", "progress"},
                                    {"arguments", {{"steps", 100000}, {"interval_ms", 2}}},
                                    {"_meta", {{"progressToken", "p"}}}}}},
                       {});
  });
  // Wait, with a deadline, until the call is running: progress is stored.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (server.store.eventCount(client.session_id) < 3 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  REQUIRE(server.store.eventCount(client.session_id) >= 3);

  // Another session is served while the call runs.
  McpClient other = server.client();
  other.initialize();
  CHECK(other.request("tools/call", {{"name", "echo"}, {"arguments", {{"message", "hi"}}}})
            ["result"]["content"][0]["text"] == "hi");

  const auto accepted = client.post({{"jsonrpc", "2.0"}, {"method", "notifications/cancelled"},
                                     {"params", {{"requestId", 60}, {"reason", "test"}}}});
  CHECK(accepted.status == 202);

  REQUIRE(running.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  const HttpReply reply = running.get();
  CHECK(reply.status == 200);
  CHECK(reply.response(60).is_null());
  CHECK(reply.events.size() < 1000);  // it stopped long before its 100000 steps
  // The session goes on.
  CHECK(client.request("tools/call", {{"name", "echo"}, {"arguments", {{"message", "after"}}}})
            ["result"]["content"][0]["text"] == "after");
}

TEST_CASE("tools/list pages through many tools with nextCursor") {
  ServerFixture server;
  for (int i = 0; i < 150; ++i) {
    mcpkeep::Tool t;
    t.name = "extra_" + std::to_string(1000 + i);
    t.description = "An extra tool.";
    t.handler = [](const json&, mcpkeep::ToolContext&) -> json { return {{"content", json::array()}}; };
    server.mcp.addTool(t);
  }
  McpClient client = server.client();
  client.initialize();

  std::set<std::string> names;
  std::size_t pages = 0;
  json params = json::object();
  for (;;) {
    const json result = client.request("tools/list", params)["result"];
    REQUIRE(result.contains("tools"));
    CHECK(result["tools"].size() <= 100);
    for (const auto& tool : result["tools"]) CHECK(names.insert(tool["name"]).second);
    ++pages;
    if (!result.contains("nextCursor")) break;
    REQUIRE(pages < 10);
    params = {{"cursor", result["nextCursor"]}};
  }
  CHECK(pages == 2);
  CHECK(names.size() == 155);  // the fixture's 5 and these 150, each once
}

TEST_CASE("structuredContent is checked against the tool's output schema") {
  ServerFixture server;
  mcpkeep::Tool t;
  t.name = "weather";
  t.description = "Reports the temperature.";
  t.output_schema = json::parse(R"({"type": "object", "required": ["celsius"],
                                    "properties": {"celsius": {"type": "number"}}})");
  t.handler = [](const json& a, mcpkeep::ToolContext&) -> json {
    const std::string mode = a.value("mode", "good");
    if (mode == "good") return {{"structuredContent", {{"celsius", 21.5}}}};
    if (mode == "wrong") return {{"structuredContent", {{"celsius", "warm"}}}};
    if (mode == "failed") return {{"content", json::array()}, {"isError", true}};
    return {{"content", json::array()}};  // no structuredContent
  };
  server.mcp.addTool(t);
  McpClient client = server.client();
  client.initialize();
  const auto call = [&](const std::string& mode) {
    return client.request("tools/call", {{"name", "weather"}, {"arguments", {{"mode", mode}}}})["result"];
  };

  json r = call("good");
  CHECK(r["structuredContent"] == json{{"celsius", 21.5}});
  CHECK(json::parse(r["content"][0]["text"].get<std::string>()) == json{{"celsius", 21.5}});  // for older clients
  CHECK_FALSE(r.contains("isError"));

  r = call("wrong");
  CHECK(r["isError"] == true);
  CHECK_THAT(r["content"][0]["text"].get<std::string>(),
             Catch::Contains("does not match its output schema: at /celsius: expected number, got string"));
  r = call("missing");
  CHECK(r["isError"] == true);
  CHECK_THAT(r["content"][0]["text"].get<std::string>(), Catch::Contains("returned no structuredContent"));
  r = call("failed");  // an error result needs no structuredContent
  CHECK(r["isError"] == true);
  CHECK(r["content"] == json::array());

  const json listed = client.request("tools/list")["result"]["tools"];
  bool found = false;
  for (const auto& tool : listed) {
    if (tool["name"] == "weather") {
      found = true;
      CHECK(tool["outputSchema"] == *t.output_schema);
    }
  }
  CHECK(found);
}

TEST_CASE("arguments are checked against the input schema before the handler runs") {
  ServerFixture server;
  const json schema = json::parse(R"({
    "type": "object",
    "properties": {
      "a": {"type": "number"}, "b": {"type": "number"},
      "mode": {"enum": ["sum", "difference"]},
      "point": {"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]},
      "tags": {"type": "array", "items": {"type": "string"}}
    },
    "required": ["a", "b"],
    "additionalProperties": false})");
  std::atomic<int> ran{0};
  mcpkeep::Tool add;
  add.name = "add";
  add.description = "Adds a and b.";
  add.input_schema = schema;
  add.handler = [&ran](const json& a, mcpkeep::ToolContext&) -> json {
    ++ran;
    return {{"content", {{{"type", "text"}, {"text", std::to_string(a["a"].get<double>() + a["b"].get<double>())}}}}};
  };
  server.mcp.addTool(add);
  mcpkeep::Tool raw = add;
  raw.name = "raw";
  raw.check_arguments = false;  // sees what was sent
  raw.handler = [](const json& a, mcpkeep::ToolContext&) -> json {
    return {{"content", {{{"type", "text"}, {"text", a.dump()}}}}};
  };
  server.mcp.addTool(raw);
  McpClient client = server.client();
  client.initialize();
  const auto call = [&](const std::string& tool, const json& arguments) {
    return client.request("tools/call", {{"name", tool}, {"arguments", arguments}})["result"];
  };

  const std::vector<std::pair<json, std::string>> invalid = {
      {{{"a", "1"}, {"b", 2}}, "at /a: expected number, got string"},
      {{{"a", 1}}, "missing the required property \"b\""},
      {{{"a", 1}, {"b", 2}, {"c", 3}}, "at /c: no such property is allowed"},
      {{{"a", 1}, {"b", 2}, {"mode", "product"}}, "at /mode: not one of"},
      {{{"a", 1}, {"b", 2}, {"point", {{"x", 1.5}}}}, "at /point/x: expected integer"},
      {{{"a", 1}, {"b", 2}, {"point", json::object()}}, "missing the required property \"x\""},
      {{{"a", 1}, {"b", 2}, {"tags", {"red", 7}}}, "at /tags/1: expected string, got integer"},
  };
  for (const auto& [arguments, named] : invalid) {
    INFO(arguments.dump());
    const json r = call("add", arguments);
    CHECK(r["isError"] == true);
    const std::string text = r["content"][0]["text"].get<std::string>();
    CHECK_THAT(text, Catch::StartsWith("invalid arguments for tool 'add': "));
    CHECK_THAT(text, Catch::Contains(named));
  }
  CHECK(ran == 0);  // the handler never saw them

  const json good = call("add", {{"a", 1}, {"b", 2}, {"mode", "sum"}, {"point", {{"x", 3}}}, {"tags", {"t"}}});
  CHECK_FALSE(good.contains("isError"));
  CHECK(ran == 1);

  const json unchecked = call("raw", {{"a", "1"}});
  CHECK_FALSE(unchecked.contains("isError"));
  CHECK(json::parse(unchecked["content"][0]["text"].get<std::string>()) == json{{"a", "1"}});
}

TEST_CASE("HttpServer::stop gives running calls its grace to commit their results, then answers the rest as interrupted") {
  ServerFixture server;
  McpClient client = server.client();
  client.initialize();
  const auto call = [&](int id, int steps, int interval_ms) {
    return json{{"jsonrpc", "2.0"}, {"id", id}, {"method", "tools/call"},
                {"params", {{"name", "progress"}, {"arguments", {{"steps", steps}, {"interval_ms", interval_ms}}},
                            {"_meta", {{"progressToken", id}}}}}};
  };
  const McpClient first = client;
  const McpClient second = client;
  auto quick = std::async(std::launch::async, [&] { return first.post(call(1, 8, 100)); });    // 0.8 s
  auto endless = std::async(std::launch::async, [&] { return second.post(call(2, 100000, 10)); });
  const auto progressed = [&] {
    std::set<int> tokens;
    for (const auto& e : server.store.events(client.session_id)) {
      const json m = json::parse(e.data);
      if (m.value("method", "") == "notifications/progress") tokens.insert(m["params"]["progressToken"].get<int>());
    }
    return tokens.size() == 2;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!progressed() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(progressed());

  const auto stopping = std::chrono::steady_clock::now();
  server.http.stop(std::chrono::seconds(3));
  CHECK(std::chrono::steady_clock::now() - stopping < std::chrono::seconds(8));  // the endless one was cancelled
  quick.wait();
  endless.wait();

  std::map<int, json> answers;
  for (const auto& e : server.store.events(client.session_id)) {
    const json m = json::parse(e.data);
    if (m.contains("id") && !m.contains("method")) answers[m["id"].get<int>()] = m;
  }
  REQUIRE(answers.count(1) == 1);
  CHECK(answers[1]["result"]["content"][0]["text"] == "done");
  REQUIRE(answers.count(2) == 1);
  CHECK(answers[2]["error"]["code"] == -32603);
  CHECK_THAT(answers[2]["error"]["message"].get<std::string>(), Catch::Contains("interrupted"));
}

TEST_CASE("a request answered at once, and a tool call answered within moments, cost one commit each") {
  mcpkeep::StoreOptions options = mcpkeep::test::testOptions();
  options.touch_interval = std::chrono::hours(1);  // no touch write in between
  ServerFixture server(mcpkeep::test::testHttpOptions(), options);
  McpClient client = server.client();
  client.initialize();
  client.request("ping");  // the session's first touch is written by now
  const auto commits = [&] { return server.store.writeStats().commits; };

  int64_t before = commits();
  CHECK(client.request("ping").contains("result"));
  CHECK(commits() - before == 1);

  before = commits();
  const json echoed = client.request("tools/call", {{"name", "echo"}, {"arguments", {{"message", "one"}}}});
  CHECK(echoed["result"]["content"][0]["text"] == "one");
  CHECK(commits() - before == 1);

  // A tool that sends progress first has its stream opened first: the
  // progress and the answer come on it, in order.
  const auto reply = client.post({{"jsonrpc", "2.0"}, {"id", 9}, {"method", "tools/call"},
                                  {"params", {{"name", "progress"}, {"arguments", {{"steps", 2}}},
                                              {"_meta", {{"progressToken", "p"}}}}}});
  REQUIRE(reply.events.size() >= 3);
  CHECK(json::parse(reply.events[reply.events.size() - 3].data)["method"] == "notifications/progress");
  CHECK(json::parse(reply.events.back().data)["result"]["content"][0]["text"] == "done");
}
