// The fixture tools the 2026-07-28 scenarios of the conformance suite name
// (conformance 0.2): multi-round-trip input requests, a capability check,
// logging by request, and hooks that change the tool and prompt lists.
// Public API only; each handler works in both eras (a session's client is
// sent the same requests on the call's stream).
#include "stateless_fixture.h"

#include <atomic>
#include <string>

namespace mcpkeep::test {

using nlohmann::json;

namespace {

json text(const std::string& t) { return {{"content", json::array({{{"type", "text"}, {"text", t}}})}}; }

InputRequest elicitString(const std::string& message, const std::string& field) {
  return {"elicitation/create",
          {{"message", message},
           {"requestedSchema",
            {{"type", "object"}, {"properties", {{field, {{"type", "string"}}}}}, {"required", {field}}}}}};
}

InputRequest confirm() {
  return {"elicitation/create",
          {{"message", "Please confirm"},
           {"requestedSchema",
            {{"type", "object"}, {"properties", {{"ok", {{"type", "boolean"}}}}}, {"required", {"ok"}}}}}};
}

InputRequest sample(const std::string& question, int max_tokens) {
  return {"sampling/createMessage",
          {{"messages", json::array({{{"role", "user"}, {"content", {{"type", "text"}, {"text", question}}}}})},
           {"maxTokens", max_tokens}}};
}

InputRequest roots() { return {"roots/list", json::object()}; }

std::string field(const json& elicited, const std::string& name) {
  const json& content = elicited.value("content", json::object());
  return content.is_object() && content.contains(name) && content[name].is_string() ? content[name].get<std::string>()
                                                                                    : "?";
}

std::string sampledText(const json& sampled) {
  const json& content = sampled.value("content", json::object());
  return content.is_object() ? content.value("text", std::string("no response")) : "no response";
}

std::size_t rootCount(const json& listed) {
  const json& found = listed.value("roots", json::array());
  return found.is_array() ? found.size() : 0;
}

Tool tool(const std::string& name, const std::string& description, ToolHandler handler) {
  Tool t;
  t.name = name;
  t.description = description;
  t.handler = std::move(handler);
  return t;
}

}  // namespace

void addStatelessFixtureTools(McpServer& server) {
  server.addTool(tool("test_missing_capability", "Needs the client's sampling capability.",
                      [](const json&, ToolContext& ctx) -> json {
                        ctx.createMessage(sample("Say hello", 10).params);
                        return text("Success");
                      }));
  server.addTool(tool("test_input_required_result_elicitation", "Asks the user's name, then greets them.",
                      [](const json&, ToolContext& ctx) -> json {
                        const auto got = ctx.requestInputs({{"user_name", elicitString("What is your name?", "name")}});
                        return text("Hello, " + field(got.at("user_name"), "name") + "!");
                      }));
  server.addTool(tool("test_input_required_result_sampling", "Asks the client's model a question.",
                      [](const json&, ToolContext& ctx) -> json {
                        const auto got =
                            ctx.requestInputs({{"capital_question", sample("What is the capital of France?", 100)}});
                        return text("Sampling result: " + sampledText(got.at("capital_question")));
                      }));
  server.addTool(tool("test_input_required_result_list_roots", "Counts the client's roots.",
                      [](const json&, ToolContext& ctx) -> json {
                        const auto got = ctx.requestInputs({{"client_roots", roots()}});
                        return text("Found " + std::to_string(rootCount(got.at("client_roots"))) + " root(s)");
                      }));
  server.addTool(tool("test_input_required_result_request_state", "Asks for a confirmation (with requestState).",
                      [](const json&, ToolContext& ctx) -> json {
                        ctx.requestInputs({{"confirm", confirm()}});
                        return text("state-ok: requestState validated");
                      }));
  server.addTool(tool("test_input_required_result_multiple_inputs", "Asks three things at once.",
                      [](const json&, ToolContext& ctx) -> json {
                        const auto got = ctx.requestInputs({{"user_name", elicitString("What is your name?", "name")},
                                                            {"greeting", sample("Generate a greeting", 50)},
                                                            {"client_roots", roots()}});
                        return text("Name: " + field(got.at("user_name"), "name") +
                                    "; Greeting: " + sampledText(got.at("greeting")) +
                                    "; Roots: " + std::to_string(rootCount(got.at("client_roots"))));
                      }));
  server.addTool(tool("test_input_required_result_multi_round", "Asks a name, then a colour.",
                      [](const json&, ToolContext& ctx) -> json {
                        const auto step1 = ctx.requestInputs({{"step1", elicitString("Step 1: What is your name?", "name")}});
                        const auto step2 =
                            ctx.requestInputs({{"step2", elicitString("Step 2: What is your favorite color?", "color")}});
                        return text("Multi-round complete for " + field(step1.at("step1"), "name") + " who likes " +
                                    field(step2.at("step2"), "color"));
                      }));
  server.addTool(tool("test_input_required_result_tampered_state", "Asks for a confirmation; its state is signed.",
                      [](const json&, ToolContext& ctx) -> json {
                        ctx.requestInputs({{"confirm", confirm()}});
                        return text("integrity-ok: state verified");
                      }));
  server.addTool(tool("test_input_required_result_capabilities", "Asks only for what the client can give.",
                      [](const json&, ToolContext& ctx) -> json {
                        const json declared = ctx.clientCapabilities();
                        std::map<std::string, InputRequest> asked;
                        if (declared.contains("elicitation")) asked["elicit_input"] = elicitString("Elicitation input", "value");
                        if (declared.contains("sampling")) asked["sample_input"] = sample("Sample request", 50);
                        if (asked.empty()) return text("No supported capabilities declared");
                        std::string keys;
                        for (const auto& [key, answer] : ctx.requestInputs(asked)) keys += (keys.empty() ? "" : ",") + key;
                        return text("capabilities-ok: received " + keys);
                      }));
  server.addTool(tool("test_streaming_elicitation", "Reports progress, then answers.",
                      [](const json&, ToolContext& ctx) -> json {
                        ctx.progress(50, 100);
                        return text("Streaming complete");
                      }));
  server.addTool(tool("test_logging_tool", "Logs at info when the request asks for logs.",
                      [](const json&, ToolContext& ctx) -> json {
                        ctx.log("info", "Diagnostic trace logging activated");
                        return text("Logging evaluated");
                      }));
  // Each call adds a tool (or a prompt): the list changes, and listeners hear it.
  server.addTool(tool("test_trigger_tool_change", "Adds a tool, so the tool list changes.",
                      [&server](const json&, ToolContext&) -> json {
                        static std::atomic<int> added{0};
                        server.addTool(tool("test_added_tool_" + std::to_string(++added), "Added by test_trigger_tool_change.",
                                            [](const json&, ToolContext&) -> json { return text("added"); }));
                        return text("Mutation triggered");
                      }));
  server.addTool(tool("test_trigger_prompt_change", "Adds a prompt, so the prompt list changes.",
                      [&server](const json&, ToolContext&) -> json {
                        static std::atomic<int> added{0};
                        Prompt prompt;
                        prompt.name = "test_added_prompt_" + std::to_string(++added);
                        prompt.description = "Added by test_trigger_prompt_change.";
                        prompt.handler = [](const std::map<std::string, std::string>&) -> json {
                          return {{"messages", json::array({{{"role", "user"},
                                                             {"content", {{"type", "text"}, {"text", "added"}}}}})}};
                        };
                        server.addPrompt(std::move(prompt));
                        return text("Mutation triggered");
                      }));
}

}  // namespace mcpkeep::test
