// Prompts over HTTP: the capability, prompts/list, prompts/get and its
// argument checks.
#include <catch2/catch.hpp>

#include <stdexcept>

#include "helpers/server_fixture.h"

using nlohmann::json;
using mcpkeep::test::McpClient;
using mcpkeep::test::ServerFixture;

namespace {

using Arguments = std::map<std::string, std::string>;

mcpkeep::Prompt greeting() {
  mcpkeep::Prompt p;
  p.name = "greeting";
  p.title = "Greeting";
  p.description = "Greets someone.";
  p.arguments = {{"name", "Who to greet", true}, {"style", "", false}};
  p.handler = [](const Arguments& a) -> json {
    if (a.count("style") && a.at("style") != "warm" && a.at("style") != "cold") {
      throw std::invalid_argument("style must be warm or cold");
    }
    if (a.at("name") == "crash") throw std::runtime_error("out of greetings");
    return {{"messages", {{{"role", "user"},
                           {"content", {{"type", "text"}, {"text", "Hello, " + a.at("name")}}}}}}};
  };
  return p;
}

json getPrompt(McpClient& client, const json& params) { return client.request("prompts/get", params); }

}  // namespace

TEST_CASE("the prompts capability is advertised only by a server with prompts") {
  ServerFixture server;
  McpClient before = server.client();
  CHECK_FALSE(before.initialize().response(1)["result"]["capabilities"].contains("prompts"));
  server.mcp.addPrompt(greeting());
  McpClient after = server.client();
  CHECK(after.initialize().response(1)["result"]["capabilities"]["prompts"] ==
        json{{"listChanged", true}});
}

TEST_CASE("prompts/list describes each prompt and its arguments") {
  ServerFixture server;
  server.mcp.addPrompt(greeting());
  McpClient client = server.client();
  client.initialize();
  const json result = client.request("prompts/list")["result"];
  REQUIRE(result["prompts"].size() == 1);
  const json& p = result["prompts"][0];
  CHECK(p["name"] == "greeting");
  CHECK(p["title"] == "Greeting");
  CHECK(p["description"] == "Greets someone.");
  CHECK(p["arguments"] == json::parse(R"([{"name":"name","description":"Who to greet","required":true},
                                          {"name":"style","required":false}])"));
  CHECK_FALSE(result.contains("nextCursor"));
  CHECK(client.request("prompts/list", {{"cursor", "x"}})["error"]["code"] == -32602);
}

TEST_CASE("prompts/get answers with the handler's messages") {
  ServerFixture server;
  server.mcp.addPrompt(greeting());
  McpClient client = server.client();
  client.initialize();
  const json result = getPrompt(client, {{"name", "greeting"}, {"arguments", {{"name", "Ada"}}}})["result"];
  CHECK(result["messages"][0]["role"] == "user");
  CHECK(result["messages"][0]["content"]["text"] == "Hello, Ada");
}

TEST_CASE("prompts/get refuses bad params with -32602 naming the problem") {
  ServerFixture server;
  server.mcp.addPrompt(greeting());
  McpClient client = server.client();
  client.initialize();
  const auto error = [&](const json& params) { return getPrompt(client, params)["error"]; };

  json e = error({{"arguments", {{"name", "Ada"}}}});
  CHECK(e["code"] == -32602);
  CHECK_THAT(e["message"].get<std::string>(), Catch::Contains("\"name\""));

  e = error({{"name", "farewell"}});
  CHECK(e["code"] == -32602);
  CHECK_THAT(e["message"].get<std::string>(), Catch::Contains("unknown prompt 'farewell'"));

  e = error({{"name", "greeting"}});
  CHECK(e["code"] == -32602);
  CHECK_THAT(e["message"].get<std::string>(), Catch::Contains("needs the argument 'name'"));

  e = error({{"name", "greeting"}, {"arguments", {{"name", 7}}}});
  CHECK(e["code"] == -32602);
  CHECK_THAT(e["message"].get<std::string>(), Catch::Contains("argument 'name'"));

  e = error({{"name", "greeting"}, {"arguments", "Ada"}});
  CHECK(e["code"] == -32602);
  CHECK_THAT(e["message"].get<std::string>(), Catch::Contains("\"arguments\""));

  // The handler's own checks: std::invalid_argument is -32602, the rest -32603.
  e = error({{"name", "greeting"}, {"arguments", {{"name", "Ada"}, {"style", "loud"}}}});
  CHECK(e["code"] == -32602);
  CHECK(e["message"] == "style must be warm or cold");
  e = error({{"name", "greeting"}, {"arguments", {{"name", "crash"}}}});
  CHECK(e["code"] == -32603);
  CHECK_THAT(e["message"].get<std::string>(), Catch::Contains("out of greetings"));
}
