// Requests from the server to the client (sampling, elicitation, roots),
// sent from inside a tool call on its stream and answered by POST.
#include <catch2/catch.hpp>

#include "helpers/server_fixture.h"

using nlohmann::json;
using mcpkeep::test::HttpReply;
using mcpkeep::test::McpClient;
using mcpkeep::test::ServerFixture;
using mcpkeep::test::SseEvent;

namespace {

void addAskingTools(ServerFixture& server) {
  mcpkeep::Tool ask;
  ask.name = "ask";
  ask.handler = [](const json& arguments, mcpkeep::ToolContext& context) -> json {
    const json reply = context.createMessage(
        {{"messages", {{{"role", "user"}, {"content", {{"type", "text"}, {"text", arguments.value("q", "")}}}}}},
         {"maxTokens", 10}});
    return {{"content", {{{"type", "text"}, {"text", "answer: " + reply["content"]["text"].get<std::string>()}}}}};
  };
  server.mcp.addTool(ask);
  mcpkeep::Tool visit;
  visit.name = "visit";
  visit.handler = [](const json&, mcpkeep::ToolContext& context) -> json {
    context.elicit({{"mode", "url"}, {"message", "Sign in"}, {"url", "https://example.com/login"},
                    {"elicitationId", "e1"}});
    return {{"content", json::array()}};
  };
  server.mcp.addTool(visit);
  mcpkeep::Tool impatient;
  impatient.name = "impatient";
  impatient.handler = [](const json&, mcpkeep::ToolContext& context) -> json {
    context.request("roots/list", json::object(), std::chrono::milliseconds(200));
    return {{"content", json::array()}};
  };
  server.mcp.addTool(impatient);
}

json callMessage(int id, const std::string& tool, const json& arguments = json::object()) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"method", "tools/call"},
          {"params", {{"name", tool}, {"arguments", arguments}}}};
}

// POSTs a tool call; answers each request the server sends on its stream
// with answer(request), from a second connection; returns the whole stream.
HttpReply callAnswering(const McpClient& client, const json& call,
                        const std::function<json(const json& request)>& answer) {
  const McpClient responder = client;
  return client.send("POST", call.dump(), client.standardHeaders(), SIZE_MAX, [&](const SseEvent& e) {
    const json m = json::parse(e.data, nullptr, false);
    if (!m.is_object() || !m.contains("method") || !m.contains("id")) return;
    json response = answer(m);
    response["jsonrpc"] = "2.0";
    response["id"] = m["id"];
    CHECK(responder.post(response).status == 202);
  });
}

// A client of `server` (given the asking tools) that declared `capabilities`.
McpClient connect(ServerFixture& server, const json& capabilities) {
  addAskingTools(server);
  McpClient client = server.client();
  client.capabilities = capabilities;
  client.initialize();
  return client;
}

std::string resultText(const HttpReply& reply, int id) {
  return reply.response(id)["result"]["content"][0]["text"].get<std::string>();
}

}  // namespace

TEST_CASE("a tool asks the client to sample and gets its answer") {
  ServerFixture server;
  McpClient client = connect(server, {{"sampling", json::object()}});
  json seen_request;
  const HttpReply reply = callAnswering(client, callMessage(5, "ask", {{"q", "2+2?"}}), [&](const json& r) {
    seen_request = r;
    return json{{"result", {{"role", "assistant"}, {"content", {{"type", "text"}, {"text", "four"}}},
                            {"model", "m"}}}};
  });
  CHECK(seen_request["method"] == "sampling/createMessage");
  CHECK(seen_request["params"]["messages"][0]["content"]["text"] == "2+2?");
  CHECK(resultText(reply, 5) == "answer: four");
  // The request went through the store, like every message the server sends.
  bool stored = false;
  for (const auto& e : server.store.events(client.session_id)) {
    stored = stored || json::parse(e.data).value("method", "") == "sampling/createMessage";
  }
  CHECK(stored);
}

TEST_CASE("a client's error answer reaches the tool as an error") {
  ServerFixture server;
  McpClient client = connect(server, {{"sampling", json::object()}});
  const HttpReply reply = callAnswering(client, callMessage(6, "ask"), [](const json&) {
    return json{{"error", {{"code", -1}, {"message", "user rejected sampling"}}}};
  });
  CHECK(reply.response(6)["result"]["isError"] == true);
  CHECK_THAT(resultText(reply, 6), Catch::Contains("user rejected sampling"));

  // A malformed error still reaches the tool, as what it was.
  const HttpReply odd = callAnswering(client, callMessage(16, "ask"), [](const json&) {
    return json{{"error", "no thanks"}};
  });
  CHECK(odd.response(16)["result"]["isError"] == true);
  CHECK_THAT(resultText(odd, 16), Catch::Contains("with error \"no thanks\""));
}

TEST_CASE("a client that did not declare the capability is not asked") {
  ServerFixture server;
  McpClient client = connect(server, json::object());  // no capabilities
  int asked = 0;
  const HttpReply reply = callAnswering(client, callMessage(7, "ask"), [&](const json&) {
    ++asked;
    return json{{"result", json::object()}};
  });
  CHECK(asked == 0);
  CHECK(reply.response(7)["result"]["isError"] == true);
  CHECK_THAT(resultText(reply, 7), Catch::Contains("did not declare the 'sampling' capability"));
}

TEST_CASE("URL-mode elicitation needs its own capability") {
  ServerFixture server;
  McpClient client = connect(server, {{"elicitation", json::object()}});  // form mode only
  const HttpReply reply = client.post(callMessage(9, "visit"));
  CHECK(reply.response(9)["result"]["isError"] == true);
  CHECK_THAT(resultText(reply, 9), Catch::Contains("URL-mode elicitation"));
}

TEST_CASE("a request the client leaves unanswered times out and is cancelled") {
  ServerFixture server;
  McpClient client = connect(server, {{"roots", json::object()}});
  const HttpReply reply = client.post(callMessage(8, "impatient"));
  json request, cancelled;
  for (const auto& e : reply.events) {
    const json m = json::parse(e.data, nullptr, false);
    if (!m.is_object()) continue;
    if (m.value("method", "") == "roots/list") request = m;
    if (m.value("method", "") == "notifications/cancelled") cancelled = m;
  }
  REQUIRE(request.is_object());
  REQUIRE(cancelled.is_object());
  CHECK(cancelled["params"]["requestId"] == request["id"]);
  CHECK(reply.response(8)["result"]["isError"] == true);
  CHECK_THAT(resultText(reply, 8), Catch::Contains("no answer in time"));
  // A late answer is dropped without harm.
  CHECK(client.post({{"jsonrpc", "2.0"}, {"id", request["id"]}, {"result", {{"roots", json::array()}}}}).status == 202);
}
