// The fixture tools the 2026-07-28 scenarios of the conformance suite name
// (conformance 0.2): multi-round-trip input requests, a capability check,
// logging by request, and hooks that change the tool and prompt lists.
// Public API only; each handler works in both eras (a session's client is
// sent the same requests on the call's stream).
#include "stateless_fixture.h"

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

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
  Tool mirrored = tool("test_header_params", "Arguments mirrored in Mcp-Param-* headers (x-mcp-header).",
                       [](const json& arguments, ToolContext&) -> json { return text("params: " + arguments.dump()); });
  mirrored.input_schema = {{"type", "object"},
                           {"properties", {{"region", {{"type", "string"}, {"x-mcp-header", "Region"}}},
                                           {"priority", {{"type", "integer"}, {"x-mcp-header", "Priority"}}},
                                           {"verbose", {{"type", "boolean"}, {"x-mcp-header", "Verbose"}}}}},
                           {"required", {"region"}}};
  server.addTool(std::move(mirrored));
  Prompt asking;
  asking.name = "test_input_required_result_prompt";
  asking.description = "Asks the user for context before it is rendered.";
  asking.asking_handler = [](const std::map<std::string, std::string>&, InputContext& inputs) -> json {
    const auto got = inputs.requestInputs({{"user_context", elicitString("What context should the prompt use?", "context")}});
    return {{"messages", json::array({{{"role", "user"},
                                       {"content", {{"type", "text"},
                                                    {"text", "Prompt with context: " + field(got.at("user_context"), "context")}}}}})}};
  };
  server.addPrompt(std::move(asking));
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

void addTaskFixtureTools(McpServer& server) {
  server.addTool(tool("greet", "Greets by name (never a task).", [](const json& arguments, ToolContext&) -> json {
    return text("Hello, " + arguments.value("name", std::string("world")) + "!");
  }));

  Tool slow = tool("slow_compute", "Sleeps `seconds`, then answers; as a task when it can.",
                   [](const json& arguments, ToolContext& ctx) -> json {
                     ctx.startTask("computing");
                     const auto until = std::chrono::steady_clock::now() +
                                        std::chrono::milliseconds(static_cast<int64_t>(1000 * arguments.value("seconds", 0.0)));
                     while (std::chrono::steady_clock::now() < until && !ctx.cancelled()) {
                       std::this_thread::sleep_for(std::chrono::milliseconds(20));
                     }
                     return text("computed after " + std::to_string(arguments.value("seconds", 0.0)) + " s");
                   });
  slow.task_support = TaskSupport::kOptional;
  server.addTool(std::move(slow));

  Tool failing = tool("failing_job", "Fails as a tool after a second (runs only as a task).",
                      [](const json&, ToolContext& ctx) -> json {
                        ctx.startTask();
                        std::this_thread::sleep_for(std::chrono::seconds(1));
                        throw std::runtime_error("the job failed");
                      });
  failing.task_support = TaskSupport::kRequired;
  server.addTool(std::move(failing));

  Tool protocol_error = tool("protocol_error_job", "Fails with a JSON-RPC error.", [](const json&, ToolContext& ctx) -> json {
    ctx.startTask();
    throw ToolProtocolError(-32603, "the job could not be carried out");
  });
  protocol_error.task_support = TaskSupport::kOptional;
  server.addTool(std::move(protocol_error));

  Tool confirm = tool("confirm_delete", "Asks before deleting `filename`.", [](const json& arguments, ToolContext& ctx) -> json {
    ctx.startTask("waiting for a confirmation");
    const std::string file = arguments.value("filename", std::string("file"));
    const auto got = ctx.requestInputs({{"confirm", {"elicitation/create",
                                                     {{"message", "Delete " + file + "?"},
                                                      {"requestedSchema", {{"type", "object"},
                                                                           {"properties", {{"confirm", {{"type", "boolean"}}}}},
                                                                           {"required", {"confirm"}}}}}}}});
    const json& answer = got.at("confirm");
    const bool yes = answer.value("action", "") == "accept" &&
                     answer.value("content", json::object()).value("confirm", false);
    return text(yes ? "Deleted " + file : "Kept " + file);
  });
  confirm.task_support = TaskSupport::kOptional;
  server.addTool(std::move(confirm));

  Tool multi = tool("multi_input", "Asks two things at once.", [](const json&, ToolContext& ctx) -> json {
    ctx.startTask();
    const auto got = ctx.requestInputs({{"first", elicitString("First?", "value")}, {"second", elicitString("Second?", "value")}});
    return text("first: " + field(got.at("first"), "value") + ", second: " + field(got.at("second"), "value"));
  });
  multi.task_support = TaskSupport::kOptional;
  server.addTool(std::move(multi));

  // mcpkeep's own: a task that a restart runs again rather than fails.
  Tool durable = tool("durable_compute", "Sleeps `seconds` as a task; run again after a crash.",
                      [](const json& arguments, ToolContext& ctx) -> json {
                        ctx.startTask();
                        const auto until = std::chrono::steady_clock::now() +
                                           std::chrono::milliseconds(static_cast<int64_t>(1000 * arguments.value("seconds", 0.0)));
                        while (std::chrono::steady_clock::now() < until && !ctx.cancelled()) {
                          std::this_thread::sleep_for(std::chrono::milliseconds(20));
                        }
                        return text("durably computed");
                      });
  durable.task_support = TaskSupport::kOptional;
  durable.rerun_tasks_after_restart = true;
  server.addTool(std::move(durable));

  Tool composed = tool("test_tool_with_task", "Asks a name (before the task), then greets as a task.",
                       [](const json&, ToolContext& ctx) -> json {
                         const auto got = ctx.requestInputs({{"user_name", elicitString("What is your name?", "name")}});
                         ctx.startTask();
                         return text("Hello, " + field(got.at("user_name"), "name") + "! (from a task)");
                       });
  composed.task_support = TaskSupport::kRequired;
  server.addTool(std::move(composed));
}

}  // namespace mcpkeep::test
