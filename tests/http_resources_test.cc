// Resources, completion and list_changed: over HTTP, and subscriptions
// across a restart.
#include <catch2/catch.hpp>

#include <stdexcept>
#include <tuple>

#include "helpers/server_fixture.h"

using nlohmann::json;
using mcpkeep::test::McpClient;
using mcpkeep::test::ServerFixture;
using Variables = std::map<std::string, std::string>;

namespace {

mcpkeep::Resource readme() {
  mcpkeep::Resource r;
  r.uri = "docs://readme";
  r.name = "readme";
  r.title = "README";
  r.mime_type = "text/markdown";
  r.handler = [](const std::string& uri, const Variables&) -> json {
    return {{"contents", {{{"uri", uri}, {"mimeType", "text/markdown"}, {"text", "# hi"}}}}};
  };
  return r;
}

mcpkeep::ResourceTemplate userFiles() {
  mcpkeep::ResourceTemplate t;
  t.uri_template = "files://{user}/{name}";
  t.name = "user files";
  t.completions["user"] = [](const std::string& typed, const Variables&) {
    std::vector<std::string> all;
    for (int i = 0; i < 150; ++i) all.push_back(typed + std::to_string(i));
    return all;
  };
  t.handler = [](const std::string& uri, const Variables& v) -> json {
    if (v.at("name") == "secret") throw std::invalid_argument("name 'secret' is not readable");
    return {{"contents", {{{"uri", uri}, {"blob", "AAEC"}, {"mimeType", "application/octet-stream"},
                           {"_meta", {{"user", v.at("user")}, {"name", v.at("name")}}}}}}};
  };
  return t;
}

void addAll(ServerFixture& server) {
  server.mcp.addResource(readme());
  server.mcp.addResourceTemplate(userFiles());
  mcpkeep::Prompt p;
  p.name = "trip";
  p.description = "Plans a trip.";
  p.arguments = {{"country", "", true, [](const std::string& typed, const Variables&) {
                    std::vector<std::string> out;
                    for (const char* c : {"france", "finland", "spain"}) {
                      if (std::string(c).rfind(typed, 0) == 0) out.push_back(c);
                    }
                    return out;
                  }},
                 {"city", "", false, [](const std::string&, const Variables& context) {
                    return context.count("country") && context.at("country") == "france"
                               ? std::vector<std::string>{"paris", "lyon"}
                               : std::vector<std::string>{};
                  }}};
  p.handler = [](const Variables&) -> json { return {{"messages", json::array()}}; };
  server.mcp.addPrompt(p);
}

// The events on the session's standalone stream, as JSON-RPC messages.
std::vector<json> standaloneMessages(mcpkeep::Store& store, const std::string& session) {
  std::vector<json> messages;
  const auto replay = store.eventsAfter(session, mcpkeep::EventId{store.standaloneStream(session), 0});
  for (const auto& e : replay.events) messages.push_back(json::parse(e.data));
  return messages;
}

}  // namespace

TEST_CASE("resources and templates are listed and advertised") {
  ServerFixture server;
  addAll(server);
  McpClient client = server.client();
  const json capabilities = client.initialize().response(1)["result"]["capabilities"];
  CHECK(capabilities["resources"] == json{{"subscribe", true}, {"listChanged", true}});
  CHECK(capabilities["completions"] == json::object());

  CHECK(client.request("resources/list")["result"] ==
        json::parse(R"({"resources":[{"uri":"docs://readme","name":"readme","title":"README",
                                      "mimeType":"text/markdown"}]})"));
  CHECK(client.request("resources/templates/list")["result"] ==
        json::parse(R"({"resourceTemplates":[{"uriTemplate":"files://{user}/{name}","name":"user files"}]})"));
}

TEST_CASE("resources/read serves fixed resources and templates, with clear errors") {
  ServerFixture server;
  addAll(server);
  McpClient client = server.client();
  client.initialize();
  CHECK(client.request("resources/read", {{"uri", "docs://readme"}})["result"]["contents"][0]["text"] == "# hi");
  const json blob = client.request("resources/read", {{"uri", "files://ada/notes%20v2"}})["result"];
  CHECK(blob["contents"][0]["blob"] == "AAEC");
  CHECK(blob["contents"][0]["_meta"] == json{{"user", "ada"}, {"name", "notes v2"}});

  json e = client.request("resources/read", {{"uri", "docs://missing"}})["error"];
  CHECK(e["code"] == -32002);
  CHECK(e["data"]["uri"] == "docs://missing");
  CHECK_THAT(e["message"].get<std::string>(), Catch::Contains("docs://missing"));

  // Bad percent-encoding matches no template: not found, and the server goes on.
  e = client.request("resources/read", {{"uri", "files://ada/%zz"}})["error"];
  CHECK(e["code"] == -32002);

  e = client.request("resources/read", json::object())["error"];
  CHECK(e["code"] == -32602);
  CHECK_THAT(e["message"].get<std::string>(), Catch::Contains("\"uri\""));

  e = client.request("resources/read", {{"uri", "files://ada/secret"}})["error"];
  CHECK(e["code"] == -32602);
  CHECK(e["message"] == "name 'secret' is not readable");
}

TEST_CASE("completion/complete asks the argument's or variable's completer") {
  ServerFixture server;
  addAll(server);
  McpClient client = server.client();
  client.initialize();
  const auto complete = [&](const json& params) { return client.request("completion/complete", params); };

  json r = complete({{"ref", {{"type", "ref/prompt"}, {"name", "trip"}}},
                     {"argument", {{"name", "country"}, {"value", "f"}}}})["result"];
  CHECK(r["completion"] == json{{"values", {"france", "finland"}}, {"total", 2}, {"hasMore", false}});

  r = complete({{"ref", {{"type", "ref/prompt"}, {"name", "trip"}}},
                {"argument", {{"name", "city"}, {"value", ""}}},
                {"context", {{"arguments", {{"country", "france"}}}}}})["result"];
  CHECK(r["completion"]["values"] == json{"paris", "lyon"});

  r = complete({{"ref", {{"type", "ref/resource"}, {"uri", "files://{user}/{name}"}}},
                {"argument", {{"name", "user"}, {"value", "u"}}}})["result"];
  CHECK(r["completion"]["values"].size() == 100);  // MCP's limit
  CHECK(r["completion"]["total"] == 150);
  CHECK(r["completion"]["hasMore"] == true);

  r = complete({{"ref", {{"type", "ref/resource"}, {"uri", "files://{user}/{name}"}}},
                {"argument", {{"name", "name"}, {"value", "x"}}}})["result"];
  CHECK(r["completion"]["values"] == json::array());  // no completer: nothing to offer

  const auto error = [&](const json& params) { return complete(params)["error"]; };
  json e = error({{"ref", {{"type", "ref/prompt"}, {"name", "cruise"}}},
                  {"argument", {{"name", "country"}, {"value", ""}}}});
  CHECK(e["code"] == -32602);
  CHECK_THAT(e["message"].get<std::string>(), Catch::Contains("unknown prompt 'cruise'"));
  e = error({{"ref", {{"type", "ref/prompt"}, {"name", "trip"}}},
             {"argument", {{"name", "budget"}, {"value", ""}}}});
  CHECK_THAT(e["message"].get<std::string>(), Catch::Contains("no argument 'budget'"));
  e = error({{"ref", {{"type", "ref/tool"}, {"name", "x"}}}, {"argument", {{"name", "a"}, {"value", ""}}}});
  CHECK_THAT(e["message"].get<std::string>(), Catch::Contains("\"ref.type\""));
  e = error({{"ref", {{"type", "ref/prompt"}, {"name", "trip"}}}});
  CHECK(e["code"] == -32602);
  CHECK_THAT(e["message"].get<std::string>(), Catch::Contains("\"argument\""));
}

TEST_CASE("resource updates reach the subscribed sessions' standalone streams only") {
  ServerFixture server;
  addAll(server);
  McpClient subscriber = server.client();
  subscriber.initialize();
  McpClient other = server.client();
  other.initialize();
  CHECK(subscriber.request("resources/subscribe", {{"uri", "docs://readme"}})["result"] == json::object());
  CHECK(other.request("resources/subscribe", json::object())["error"]["code"] == -32602);

  CHECK(server.mcp.notifyResourceUpdated("docs://readme") == 1);
  const auto messages = standaloneMessages(server.store, subscriber.session_id);
  REQUIRE(messages.size() == 1);
  CHECK(messages[0]["method"] == "notifications/resources/updated");
  CHECK(messages[0]["params"]["uri"] == "docs://readme");
  CHECK(standaloneMessages(server.store, other.session_id).empty());

  CHECK(subscriber.request("resources/unsubscribe", {{"uri", "docs://readme"}})["result"] == json::object());
  CHECK(server.mcp.notifyResourceUpdated("docs://readme") == 0);
}

TEST_CASE("after the first request, changing a registry tells every session its list changed") {
  ServerFixture server;
  McpClient client = server.client();
  client.initialize();
  addAll(server);  // a resource, a template and a prompt
  mcpkeep::Tool t;
  t.name = "late";
  t.handler = [](const json&, mcpkeep::ToolContext&) -> json { return {{"content", json::array()}}; };
  server.mcp.addTool(t);
  std::vector<std::string> methods;
  for (const json& m : standaloneMessages(server.store, client.session_id)) methods.push_back(m["method"]);
  CHECK(methods == std::vector<std::string>{"notifications/resources/list_changed",
                                            "notifications/resources/list_changed",
                                            "notifications/prompts/list_changed",
                                            "notifications/tools/list_changed"});
}

TEST_CASE("resource subscriptions survive a restart of the server") {
  mcpkeep::test::TempDir dir;
  const std::string path = dir.file("restart.db");
  std::string session;
  {
    mcpkeep::Store store(path, mcpkeep::test::testOptions());
    mcpkeep::Hub hub(store);
    mcpkeep::McpServer mcp(hub);
    const json init = {{"jsonrpc", "2.0"}, {"id", 1}, {"method", "initialize"},
                       {"params", {{"protocolVersion", "2025-11-25"}}}};
    session = mcp.handleRequest("", init).session_id;
    mcp.handleRequest(session, {{"jsonrpc", "2.0"}, {"id", 2}, {"method", "resources/subscribe"},
                                {"params", {{"uri", "docs://readme"}}}});
  }
  mcpkeep::Store store(path, mcpkeep::test::testOptions());
  mcpkeep::Hub hub(store);
  mcpkeep::McpServer mcp(hub);
  CHECK(mcp.notifyResourceUpdated("docs://readme") == 1);
  const auto messages = standaloneMessages(store, session);
  REQUIRE(messages.size() == 1);
  CHECK(messages[0]["params"]["uri"] == "docs://readme");
}

TEST_CASE("every method refuses bad params with -32602 naming the field") {
  ServerFixture server;
  addAll(server);
  McpClient client = server.client();
  client.initialize();
  const std::vector<std::tuple<std::string, json, std::string>> cases = {
      {"tools/call", json::object(), "\"name\""},
      {"tools/call", {{"name", "echo"}, {"arguments", 5}}, "\"arguments\""},
      {"tools/list", {{"cursor", 3}}, "\"cursor\""},
      {"prompts/list", {{"cursor", "-1"}}, "\"cursor\""},
      {"prompts/get", {{"name", 1}}, "\"name\""},
      {"resources/list", {{"cursor", "abc"}}, "\"cursor\""},
      {"resources/templates/list", {{"cursor", ""}}, "\"cursor\""},
      {"resources/read", {{"uri", 5}}, "\"uri\""},
      {"resources/subscribe", {{"uri", ""}}, "\"uri\""},
      {"resources/unsubscribe", json::object(), "\"uri\""},
      {"completion/complete", {{"ref", "trip"}}, "\"ref\""},
      {"logging/setLevel", {{"level", 3}}, "\"level\""},
  };
  for (const auto& [method, params, field] : cases) {
    INFO(method << " " << params.dump());
    const json error = client.request(method, params)["error"];
    CHECK(error["code"] == -32602);
    CHECK_THAT(error["message"].get<std::string>(), Catch::Contains(field));
  }
}
