// Protocol 2026-07-28 over HTTP, beside the session era: stateless requests
// (no session; _meta and mirrored headers checked), multi-round-trip input
// requests with a signed requestState, per-request logging and
// subscriptions/listen.
#include <catch2/catch.hpp>

#include <atomic>
#include <future>
#include <thread>

#include "helpers/server_fixture.h"

using nlohmann::json;
using mcpkeep::test::HttpReply;
using mcpkeep::test::McpClient;
using mcpkeep::test::ServerFixture;

namespace {

const char* kVersion = "2026-07-28";

json meta(json capabilities = json::object()) {
  return {{"io.modelcontextprotocol/protocolVersion", kVersion},
          {"io.modelcontextprotocol/clientCapabilities", std::move(capabilities)}};
}

json request(int id, const std::string& method, json params, json request_meta = meta()) {
  params["_meta"] = std::move(request_meta);
  return {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}};
}

HttpReply post(const McpClient& client, const json& message, const std::map<std::string, std::string>& extra = {},
               std::size_t max_events = SIZE_MAX,
               const std::function<void(const mcpkeep::test::SseEvent&)>& on_event = nullptr) {
  return client.postStateless(message, extra, max_events, on_event);
}

json call(const std::string& tool, json arguments = json::object()) {
  return {{"name", tool}, {"arguments", std::move(arguments)}};
}

int64_t storedEvents(const mcpkeep::Store& store) {
  int64_t n = 0;
  for (const auto& session : store.sessions()) n += store.eventCount(session.id);
  return n;
}

// A tool that asks for a name, then (next round) a colour.
void addTwoRoundTool(mcpkeep::McpServer& mcp, std::atomic<int>* runs = nullptr) {
  mcpkeep::Tool tool;
  tool.name = "two_rounds";
  tool.description = "Asks a name, then a colour.";
  tool.handler = [runs](const json& arguments, mcpkeep::ToolContext& ctx) -> json {
    if (runs) ++*runs;
    const auto ask = [](const std::string& field) {
      return mcpkeep::InputRequest{"elicitation/create",
                                   {{"message", "Your " + field + "?"},
                                    {"requestedSchema", {{"type", "object"}, {"properties", {{field, {{"type", "string"}}}}}}}}};
    };
    const json name = ctx.requestInputs({{"name", ask("name")}}).at("name");
    const json colour = ctx.requestInputs({{"colour", ask("colour")}}).at("colour");
    return {{"content", {{{"type", "text"},
                          {"text", name["content"]["name"].get<std::string>() + " likes " +
                                       colour["content"]["colour"].get<std::string>() + arguments.value("suffix", "")}}}}};
  };
  mcp.addTool(tool);
}

json elicited(const std::string& field, const std::string& value) {
  return {{"action", "accept"}, {"content", {{field, value}}}};
}

}  // namespace

TEST_CASE("a stateless request is answered on its own, names no session, and the session era goes on") {
  ServerFixture server;
  McpClient client = server.client();
  const HttpReply reply = post(client, request(7, "tools/call", call("echo", {{"message", "hi"}})));
  REQUIRE(reply.status == 200);
  CHECK(reply.header("content-type") == "application/json");
  CHECK(reply.header("mcp-session-id").empty());
  const json answer = reply.parsedBody();
  CHECK(answer["id"] == 7);
  CHECK(answer["result"]["resultType"] == "complete");
  CHECK(answer["result"]["content"][0]["text"] == "hi");
  CHECK(answer["result"]["_meta"]["io.modelcontextprotocol/serverInfo"]["name"] == "mcpkeep");

  const json discovered = post(client, request(8, "server/discover", json::object())).parsedBody()["result"];
  CHECK(discovered["supportedVersions"] == json({"2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26"}));
  CHECK(discovered["capabilities"].contains("tools"));
  CHECK(discovered.contains("ttlMs"));
  CHECK(discovered["cacheScope"] == "public");
  const json listed = post(client, request(9, "tools/list", json::object())).parsedBody()["result"];
  CHECK(listed["ttlMs"].get<int64_t>() > 0);

  // The session the stateless requests were streamed in is no one's: a
  // client naming it is refused like any unknown id would be... it never
  // learns it; and GET or DELETE without a session is not this era's.
  CHECK(client.get({}, 1).status == 405);
  CHECK(client.send("DELETE", "", client.standardHeaders()).status == 405);

  // A session-era client is served as before, beside it.
  McpClient legacy = server.client();
  legacy.initialize();
  CHECK(legacy.request("tools/call", call("echo", {{"message", "old"}}))["result"]["content"][0]["text"] == "old");
  CHECK_FALSE(legacy.request("tools/call", call("echo"))["result"].contains("resultType"));
  // And the stateless era's methods are not the session era's.
  CHECK(legacy.request("server/discover")["error"]["code"] == -32601);
}

TEST_CASE("refused stateless requests get the spec's code, HTTP status and their own id, and store nothing") {
  ServerFixture server;
  McpClient client = server.client();
  post(client, request(1, "tools/call", call("echo")));  // the stateless session exists from here
  const int64_t before = storedEvents(server.store);
  const auto refused = [&](const json& message, const std::map<std::string, std::string>& extra, int status, int code) {
    const HttpReply reply = post(client, message, extra);
    INFO(message.dump() << " -> " << reply.body);
    CHECK(reply.status == status);
    const json body = reply.parsedBody();
    CHECK(body["id"] == message["id"]);
    CHECK(body["error"]["code"] == code);
    return body;
  };
  json no_meta = request(2, "tools/list", json::object());
  no_meta["params"].erase("_meta");
  refused(no_meta, {}, 400, -32602);
  refused(request(3, "tools/list", json::object(),
                  {{"io.modelcontextprotocol/protocolVersion", kVersion},
                   {"io.modelcontextprotocol/clientCapabilities", "all of them"}}),
          {}, 400, -32602);
  refused(request(4, "tools/list", json::object(),
                  {{"io.modelcontextprotocol/protocolVersion", kVersion},
                   {"io.modelcontextprotocol/clientCapabilities", json::object()},
                   {"io.modelcontextprotocol/logLevel", 3}}),
          {}, 400, -32602);
  const json unsupported = refused(request(5, "tools/list", json::object(),
                                           {{"io.modelcontextprotocol/protocolVersion", "2099-01-01"},
                                            {"io.modelcontextprotocol/clientCapabilities", json::object()}}),
                                   {{"MCP-Protocol-Version", "2099-01-01"}}, 400, -32022);
  CHECK(unsupported["error"]["data"]["requested"] == "2099-01-01");
  CHECK(unsupported["error"]["data"]["supported"][0] == kVersion);
  refused(request(6, "tools/list", json::object()), {{"MCP-Protocol-Version", "2025-11-25"}}, 400, -32020);
  refused(request(7, "tools/list", json::object()), {{"Mcp-Method", "tools/call"}}, 400, -32020);
  refused(request(8, "tools/call", call("echo")), {{"Mcp-Name", "fail"}}, 400, -32020);
  refused(request(9, "initialize", {{"protocolVersion", "2025-11-25"}}), {}, 404, -32601);
  refused(request(10, "logging/setLevel", {{"level", "info"}}), {}, 404, -32601);
  refused(request(11, "tools/call", call("no_such_tool")), {}, 400, -32602);
  json bad_state = request(12, "tools/call", call("echo"));
  bad_state["params"]["requestState"] = "forged.state";
  refused(bad_state, {}, 400, -32602);
  json bad_responses = request(13, "tools/call", call("echo"));
  bad_responses["params"]["inputResponses"] = json::array({1, 2});
  refused(bad_responses, {}, 400, -32602);
  // The name header may come base64-encoded.
  const HttpReply encoded = post(client, request(14, "tools/call", call("echo")), {{"Mcp-Name", "=?base64?ZWNobw==?="}});
  INFO(encoded.body);
  CHECK(encoded.status == 200);
  CHECK(storedEvents(server.store) == before + 1);  // only the last one's answer
}

TEST_CASE("a tool asks over rounds: input_required with a signed state, answers carried, tampering refused") {
  ServerFixture server;
  std::atomic<int> runs{0};
  addTwoRoundTool(server.mcp, &runs);
  McpClient client = server.client();
  const json capable = meta({{"elicitation", json::object()}});

  const json round1 = post(client, request(1, "tools/call", call("two_rounds"), capable)).parsedBody()["result"];
  REQUIRE(round1["resultType"] == "input_required");
  CHECK(round1["inputRequests"]["name"]["method"] == "elicitation/create");
  CHECK_FALSE(round1["inputRequests"].contains("colour"));
  REQUIRE(round1["requestState"].is_string());

  json retry = request(2, "tools/call", call("two_rounds"), capable);
  retry["params"]["inputResponses"] = {{"name", elicited("name", "Ada")}};
  retry["params"]["requestState"] = round1["requestState"];
  const json round2 = post(client, retry).parsedBody()["result"];
  REQUIRE(round2["resultType"] == "input_required");
  CHECK(round2["inputRequests"].contains("colour"));
  CHECK(round2["requestState"] != round1["requestState"]);

  // The last round sends only its own answer: the state brings the first.
  json last = request(3, "tools/call", call("two_rounds"), capable);
  last["params"]["inputResponses"] = {{"colour", elicited("colour", "green")}};
  last["params"]["requestState"] = round2["requestState"];
  const json done = post(client, last).parsedBody()["result"];
  CHECK(done["resultType"] == "complete");
  CHECK(done["content"][0]["text"] == "Ada likes green");
  CHECK(runs == 3);  // the handler ran once per round

  // A state altered by a byte, or used for other arguments, is refused.
  json tampered = last;
  std::string state = round2["requestState"];
  state[state.size() / 3] = state[state.size() / 3] == 'A' ? 'B' : 'A';
  tampered["params"]["requestState"] = state;
  CHECK(post(client, tampered).parsedBody()["error"]["code"] == -32602);
  json elsewhere = request(4, "tools/call", call("two_rounds", {{"suffix", "!"}}), capable);
  elsewhere["params"]["inputResponses"] = {{"colour", elicited("colour", "green")}};
  elsewhere["params"]["requestState"] = round2["requestState"];
  const json moved = post(client, elsewhere).parsedBody();
  CHECK(moved["error"]["code"] == -32602);
  CHECK(moved["error"]["message"].get<std::string>().find("another request") != std::string::npos);

  // A client that did not declare elicitation is told which capability is missing.
  const HttpReply missing = post(client, request(5, "tools/call", call("two_rounds")));
  CHECK(missing.status == 400);
  CHECK(missing.parsedBody()["error"]["code"] == -32021);
  CHECK(missing.parsedBody()["error"]["data"]["requiredCapabilities"] == json{{"elicitation", json::object()}});
}

TEST_CASE("a stateless request gets logs only when its _meta asks, at its level, on an SSE answer") {
  ServerFixture server;
  McpClient client = server.client();
  const HttpReply quiet = post(client, request(1, "tools/call", call("log")));
  CHECK(quiet.header("content-type") == "application/json");

  json wants = meta();
  wants["io.modelcontextprotocol/logLevel"] = "info";
  const HttpReply logged = post(client, request(2, "tools/call", call("log"), wants));
  REQUIRE(logged.header("content-type") == "text/event-stream");
  std::vector<std::string> levels;
  for (const auto& event : logged.events) {
    const json message = json::parse(event.data);
    if (message.value("method", "") == "notifications/message") levels.push_back(message["params"]["level"]);
  }
  CHECK(levels == std::vector<std::string>{"info", "error"});
  CHECK(logged.response(2)["result"]["resultType"] == "complete");
}

TEST_CASE("subscriptions/listen: acknowledged first, then what it asked for, from this process and another") {
  ServerFixture server;
  McpClient client = server.client();
  json params = {{"notifications", {{"toolsListChanged", true}, {"resourceSubscriptions", {"test://watched"}}}}};
  mcpkeep::test::Listening seen(client, request(41, "subscriptions/listen", params), 3);
  REQUIRE(seen.waitFor(1));
  CHECK(seen[0]["method"] == "notifications/subscriptions/acknowledged");
  CHECK(seen[0]["params"]["notifications"]["toolsListChanged"] == true);
  CHECK(seen[0]["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"] == 41);

  // Not asked for: a prompt list change. Asked for: a tool list change.
  mcpkeep::Prompt prompt;
  prompt.name = "p";
  prompt.handler = [](const std::map<std::string, std::string>&) { return json{{"messages", json::array()}}; };
  server.mcp.addPrompt(prompt);
  mcpkeep::Tool tool;
  tool.name = "late";
  tool.handler = [](const json&, mcpkeep::ToolContext&) { return json{{"content", json::array()}}; };
  server.mcp.addTool(tool);
  REQUIRE(seen.waitFor(2));
  CHECK(seen[1]["method"] == "notifications/tools/list_changed");
  CHECK(seen[1]["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"] == 41);

  // Another process on the file tells the resource's subscribers it changed.
  {
    mcpkeep::Store other(server.store.path(), mcpkeep::test::testOptions());
    mcpkeep::Hub hub(other);
    for (const std::string& session : other.resourceSubscribers("test://watched")) {
      hub.publish(session, "message",
                  json{{"jsonrpc", "2.0"}, {"method", "notifications/resources/updated"},
                       {"params", {{"uri", "test://watched"}}}}.dump());
    }
  }
  REQUIRE(seen.waitFor(3));
  CHECK(seen[2]["method"] == "notifications/resources/updated");
  CHECK(seen[2]["params"]["uri"] == "test://watched");
  CHECK(seen.finish().status == 200);
}
