// The server the official MCP conformance suite runs against: the fixture
// tools, prompts and resources its scenarios name, served with mcpkeep, using only the public API
// (as the official SDKs do with their "everything" servers).
//
//   conformance_server --db PATH [--listen 127.0.0.1:0] [--protocols all|sessions|stateless]
// Prints "listening on http://HOST:PORT/mcp" once ready. --protocols
// stateless makes it a server of protocol 2026-07-28 only (a gateway
// upstream for session-era clients).
//
//   conformance_server --stdio
// Serves one session on stdin and stdout instead (MCP's stdio transport),
// from a database of its own that goes with it: an upstream for the
// gateway's conformance run.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <thread>

#include <mcpkeep/http_server.h>
#include <mcpkeep/mcp_server.h>

#include "stateless_fixture.h"
#include "stdio_transport.h"

namespace {

using nlohmann::json;
using mcpkeep::Tool;
using mcpkeep::ToolContext;

// A 1x1 PNG and a WAV header with no samples.
const char kPng[] =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
const char kWav[] = "UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAEAfAAABAAgAZGF0YQAAAAA=";

json text(const std::string& t) { return {{"type", "text"}, {"text", t}}; }
json image() { return {{"type", "image"}, {"data", kPng}, {"mimeType", "image/png"}}; }
json embedded() {
  return {{"type", "resource"},
          {"resource", {{"uri", "test://embedded-resource"}, {"mimeType", "text/plain"},
                        {"text", "This is an embedded resource content."}}}};
}

Tool tool(const std::string& name, const std::string& description,
          std::function<json(const json&, ToolContext&)> handler) {
  Tool t;
  t.name = name;
  t.description = description;
  t.handler = std::move(handler);
  return t;
}

void addFixtureTools(mcpkeep::McpServer& server) {
  server.addTool(tool("test_simple_text", "Returns simple text.", [](const json&, ToolContext&) -> json {
    return {{"content", {text("This is a simple text response for testing.")}}};
  }));
  server.addTool(tool("test_image_content", "Returns an image.", [](const json&, ToolContext&) -> json {
    return {{"content", {image()}}};
  }));
  server.addTool(tool("test_audio_content", "Returns audio.", [](const json&, ToolContext&) -> json {
    return {{"content", {{{"type", "audio"}, {"data", kWav}, {"mimeType", "audio/wav"}}}}};
  }));
  server.addTool(tool("test_embedded_resource", "Returns an embedded resource.",
                      [](const json&, ToolContext&) -> json { return {{"content", {embedded()}}}; }));
  server.addTool(tool("test_multiple_content_types", "Returns text, an image and a resource.",
                      [](const json&, ToolContext&) -> json {
                        return {{"content", {text("Multiple content types test:"), image(), embedded()}}};
                      }));
  server.addTool(tool("test_tool_with_logging", "Logs three messages during the call.",
                      [](const json&, ToolContext& context) -> json {
                        for (const char* message : {"Tool execution started", "Tool processing data",
                                                    "Tool execution completed"}) {
                          context.log("info", message);
                          std::this_thread::sleep_for(std::chrono::milliseconds(50));
                        }
                        return {{"content", {text("Tool with logging executed successfully")}}};
                      }));
  server.addTool(tool("test_tool_with_progress", "Reports progress 0, 50, 100 of 100.",
                      [](const json&, ToolContext& context) -> json {
                        for (double p : {0.0, 50.0, 100.0}) {
                          context.progress(p, 100.0);
                          std::this_thread::sleep_for(std::chrono::milliseconds(50));
                        }
                        return {{"content", {text("Tool with progress executed successfully")}}};
                      }));
  server.addTool(tool("test_error_handling", "Always fails.", [](const json&, ToolContext&) -> json {
    throw std::runtime_error("This tool intentionally returns an error for testing");
  }));
  server.addTool(tool("test_reconnection",
                      "Closes its SSE stream mid-call; the result comes on the resumed stream.",
                      [](const json&, ToolContext& context) -> json {
                        context.closeSseStream();
                        std::this_thread::sleep_for(std::chrono::milliseconds(200));
                        return {{"content", {text("Reconnection test completed")}}};
                      }));
  server.addTool(tool("test_sampling", "Asks the client's LLM to answer a prompt.",
                      [](const json& arguments, ToolContext& context) -> json {
                        const json reply = context.createMessage(
                            {{"messages", {{{"role", "user"},
                                            {"content", text(arguments.value("prompt", ""))}}}},
                             {"maxTokens", 100}});
                        return {{"content", {text("LLM response: " +
                                                  reply.value("content", json::object()).value("text", ""))}}};
                      }));
  server.addTool(tool("test_elicitation", "Asks the user for a username and an email.",
                      [](const json& arguments, ToolContext& context) -> json {
                        const json reply = context.elicit(
                            {{"message", arguments.value("message", "")},
                             {"requestedSchema",
                              {{"type", "object"},
                               {"properties", {{"username", {{"type", "string"}, {"description", "User's response"}}},
                                               {"email", {{"type", "string"}, {"description", "User's email address"}}}}},
                               {"required", {"username", "email"}}}}});
                        return {{"content", {text("User response: " + reply.dump())}}};
                      }));
  server.addTool(tool("test_elicitation_sep1034_defaults", "Elicits with a default for each primitive type.",
                      [](const json&, ToolContext& context) -> json {
                        const json reply = context.elicit(
                            {{"message", "Please review and update the form fields with defaults"},
                             {"requestedSchema",
                              {{"type", "object"},
                               {"properties",
                                {{"name", {{"type", "string"}, {"default", "John Doe"}}},
                                 {"age", {{"type", "integer"}, {"default", 30}}},
                                 {"score", {{"type", "number"}, {"default", 95.5}}},
                                 {"status", {{"type", "string"}, {"enum", {"active", "inactive", "pending"}},
                                             {"default", "active"}}},
                                 {"verified", {{"type", "boolean"}, {"default", true}}}}}}}});
                        return {{"content", {text("Elicitation completed: " + reply.dump())}}};
                      }));
  server.addTool(tool("test_elicitation_sep1330_enums", "Elicits with each kind of enum.",
                      [](const json&, ToolContext& context) -> json {
                        const json titled = json::array({{{"const", "value1"}, {"title", "First"}},
                                                         {{"const", "value2"}, {"title", "Second"}}});
                        const json reply = context.elicit(
                            {{"message", "Please select options from the enum fields"},
                             {"requestedSchema",
                              {{"type", "object"},
                               {"properties",
                                {{"untitledSingle", {{"type", "string"}, {"enum", {"option1", "option2", "option3"}}}},
                                 {"titledSingle", {{"type", "string"}, {"oneOf", titled}}},
                                 {"legacyEnum", {{"type", "string"}, {"enum", {"opt1", "opt2"}},
                                                 {"enumNames", {"Option One", "Option Two"}}}},
                                 {"untitledMulti", {{"type", "array"},
                                                    {"items", {{"type", "string"}, {"enum", {"option1", "option2"}}}}}},
                                 {"titledMulti", {{"type", "array"}, {"items", {{"anyOf", titled}}}}}}}}}});
                        return {{"content", {text("Elicitation completed: " + reply.dump())}}};
                      }));
  Tool schema = tool("json_schema_2020_12_tool", "Takes arguments described with JSON Schema 2020-12.",
                     [](const json& arguments, ToolContext&) -> json {
                       return {{"content", {text(arguments.dump())}}};
                     });
  // The suite's own fixture schema: every 2020-12 keyword it checks survives tools/list.
  schema.input_schema = {
      {"$schema", "https://json-schema.org/draft/2020-12/schema"},
      {"type", "object"},
      {"$defs", {{"address", {{"$anchor", "addressDef"},
                              {"type", "object"},
                              {"properties", {{"street", {{"type", "string"}}}, {"city", {{"type", "string"}}}}}}}}},
      {"properties", {{"name", {{"type", "string"}}},
                      {"address", {{"$ref", "#/$defs/address"}}},
                      {"contactMethod", {{"type", "string"}, {"enum", {"phone", "email"}}}},
                      {"phone", {{"type", "string"}}},
                      {"email", {{"type", "string"}}}}},
      {"allOf", {{{"anyOf", {{{"required", {"phone"}}}, {{"required", {"email"}}}}}}}},
      {"if", {{"properties", {{"contactMethod", {{"const", "phone"}}}}}, {"required", {"contactMethod"}}}},
      {"then", {{"required", {"phone"}}}},
      {"else", {{"required", {"email"}}}},
      {"additionalProperties", false}};
  server.addTool(std::move(schema));
}

mcpkeep::Prompt prompt(const std::string& name, const std::string& description,
                      std::vector<mcpkeep::PromptArgument> arguments, mcpkeep::PromptHandler handler) {
  mcpkeep::Prompt p;
  p.name = name;
  p.description = description;
  p.arguments = std::move(arguments);
  p.handler = std::move(handler);
  return p;
}

// A completer offering the candidates that start with what was typed.
mcpkeep::Completer completeFrom(std::vector<std::string> candidates) {
  return [candidates](const std::string& typed, const std::map<std::string, std::string>&) {
    std::vector<std::string> values;
    for (const auto& c : candidates) {
      if (c.compare(0, typed.size(), typed) == 0) values.push_back(c);
    }
    return values;
  };
}

json userMessage(const json& content) { return {{"role", "user"}, {"content", content}}; }

void addFixturePrompts(mcpkeep::McpServer& server) {
  using Arguments = std::map<std::string, std::string>;
  server.addPrompt(prompt("test_simple_prompt", "A prompt with no arguments.", {},
                          [](const Arguments&) -> json {
                            return {{"messages", {userMessage(text("This is a simple prompt for testing."))}}};
                          }));
  server.addPrompt(prompt("test_prompt_with_arguments", "A prompt with two required arguments.",
                          {{"arg1", "First test argument", true, completeFrom({"paris", "park", "past"})},
                           {"arg2", "Second test argument", true}},
                          [](const Arguments& a) -> json {
                            return {{"messages", {userMessage(text("Prompt with arguments: arg1='" +
                                                                   a.at("arg1") + "', arg2='" +
                                                                   a.at("arg2") + "'"))}}};
                          }));
  server.addPrompt(prompt("test_prompt_with_embedded_resource", "A prompt that embeds a resource.",
                          {{"resourceUri", "URI of the resource to embed", true}},
                          [](const Arguments& a) -> json {
                            const json resource = {
                                {"type", "resource"},
                                {"resource", {{"uri", a.at("resourceUri")}, {"mimeType", "text/plain"},
                                              {"text", "Embedded resource content for testing."}}}};
                            return {{"messages", {userMessage(resource),
                                                  userMessage(text("Please process the embedded resource above."))}}};
                          }));
  server.addPrompt(prompt("test_prompt_with_image", "A prompt with an image.", {},
                          [](const Arguments&) -> json {
                            return {{"messages", {userMessage(image()),
                                                  userMessage(text("Please analyze the image above."))}}};
                          }));
}

using Variables = std::map<std::string, std::string>;

mcpkeep::Resource resource(const std::string& uri, const std::string& name, const std::string& mime_type,
                           mcpkeep::ResourceReader handler) {
  mcpkeep::Resource r;
  r.uri = uri;
  r.name = name;
  r.mime_type = mime_type;
  r.handler = std::move(handler);
  return r;
}

json contents(const json& item) { return {{"contents", json::array({item})}}; }

void addFixtureResources(mcpkeep::McpServer& server) {
  server.addResource(resource("test://static-text", "Static text", "text/plain",
                              [](const std::string& uri, const Variables&) -> json {
                                return contents({{"uri", uri}, {"mimeType", "text/plain"},
                                                 {"text", "This is the content of the static text resource."}});
                              }));
  server.addResource(resource("test://static-binary", "Static binary", "image/png",
                              [](const std::string& uri, const Variables&) -> json {
                                return contents({{"uri", uri}, {"mimeType", "image/png"}, {"blob", kPng}});
                              }));
  server.addResource(resource("test://watched-resource", "Watched resource", "text/plain",
                              [](const std::string& uri, const Variables&) -> json {
                                return contents({{"uri", uri}, {"mimeType", "text/plain"},
                                                 {"text", "Watched resource content."}});
                              }));
  mcpkeep::ResourceTemplate data;
  data.uri_template = "test://template/{id}/data";
  data.name = "Data by id";
  data.mime_type = "application/json";
  data.completions["id"] = completeFrom({"123", "456", "789"});
  data.handler = [](const std::string& uri, const Variables& v) -> json {
    return contents({{"uri", uri}, {"mimeType", "application/json"},
                     {"text", json{{"id", v.at("id")}, {"templateTest", true},
                                   {"data", "Data for ID: " + v.at("id")}}.dump()}});
  };
  server.addResourceTemplate(std::move(data));
}

}  // namespace

// One session over stdio, from a database in a directory of its own.
int serveStdio() {
  char dir[] = "/tmp/mcpkeep-stdio-XXXXXX";
  if (!mkdtemp(dir)) return 1;
  const std::string db = std::string(dir) + "/stdio.db";
  int status;
  {
    mcpkeep::Store store(db);
    mcpkeep::Hub hub(store);
    mcpkeep::McpServer server(hub, {"mcpkeep-conformance", "0.1.0", ""});
    addFixtureTools(server);
    mcpkeep::test::addStatelessFixtureTools(server);
    mcpkeep::test::addTaskFixtureTools(server);
    addFixturePrompts(server);
    addFixtureResources(server);
    status = mcpkeep::test::serveStdio(server);
  }
  for (const char* suffix : {"", "-wal", "-shm", ".serving"}) std::remove((db + suffix).c_str());
  rmdir(dir);
  return status;
}

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "--stdio") == 0) return serveStdio();
  std::string db, listen = "127.0.0.1:0", protocols = "all";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--db") == 0) db = argv[i + 1];
    if (std::strcmp(argv[i], "--listen") == 0) listen = argv[i + 1];
    if (std::strcmp(argv[i], "--protocols") == 0) protocols = argv[i + 1];
  }
  if (db.empty()) {
    std::cerr << "usage: conformance_server --db PATH [--listen HOST:PORT]\n";
    return 2;
  }
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  mcpkeep::StoreOptions store_options;
  mcpkeep::Store store(db, store_options);
  mcpkeep::Hub hub(store);
  mcpkeep::McpServer server(hub, {"mcpkeep-conformance", "0.1.0", ""});
  addFixtureTools(server);
  mcpkeep::test::addStatelessFixtureTools(server);
  mcpkeep::test::addTaskFixtureTools(server);
  addFixturePrompts(server);
  addFixtureResources(server);
  mcpkeep::HttpOptions options;
  options.host = listen.substr(0, listen.rfind(':'));
  options.port = static_cast<uint16_t>(std::stoi(listen.substr(listen.rfind(':') + 1)));
  options.sessions = protocols != "stateless";
  options.stateless = protocols != "sessions";
  mcpkeep::HttpServer http(server, options);
  http.start();
  std::cout << "listening on http://" << options.host << ":" << http.port() << "/mcp" << std::endl;
  int signal_number = 0;
  sigwait(&stop, &signal_number);
  http.stop();
  server.shutdown();
  return 0;
}
