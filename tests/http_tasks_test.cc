// Tasks (the io.modelcontextprotocol/tasks extension of protocol
// 2026-07-28) over HTTP: a tool call that becomes a task, polled, answered,
// cancelled; what a caller without the extension gets; bad input.
#include <catch2/catch.hpp>

#include <condition_variable>
#include <future>
#include <thread>
#include <mutex>

#include "helpers/server_fixture.h"

using nlohmann::json;
using mcpkeep::test::McpClient;
using mcpkeep::test::ServerFixture;
using mcpkeep::test::statelessRequest;
using mcpkeep::test::withTasks;

namespace {

// A gate a tool waits at until the test opens it.
struct Gate {
  void open() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      opened = true;
    }
    changed.notify_all();
  }
  // Waits until opened or the call is cancelled (looked at every 20 ms: a
  // cancellation rings no bell here), for at most 10 s.
  void pass(mcpkeep::ToolContext& ctx) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    std::unique_lock<std::mutex> lock(mutex);
    while (!opened && !ctx.cancelled() && std::chrono::steady_clock::now() < deadline) {
      changed.wait_for(lock, std::chrono::milliseconds(20));
    }
  }
  std::mutex mutex;
  std::condition_variable changed;
  bool opened = false;
};

json text(const std::string& t) { return {{"content", json::array({{{"type", "text"}, {"text", t}}})}}; }

struct TaskServer : ServerFixture {
  TaskServer() {
    mcpkeep::Tool job;
    job.name = "job";
    job.task_support = mcpkeep::TaskSupport::kOptional;
    job.handler = [this](const json& arguments, mcpkeep::ToolContext& ctx) -> json {
      const bool task = ctx.startTask("queued");
      ctx.setStatusMessage("running");
      gate.pass(ctx);
      if (ctx.cancelled()) {
        std::lock_guard<std::mutex> lock(gate.mutex);
        ++saw_cancel;
        gate.changed.notify_all();
      }
      if (arguments.value("protocol_error", false)) throw mcpkeep::ToolProtocolError(-32603, "no can do");
      if (arguments.value("fail", false)) throw std::runtime_error("it broke");
      return text(task ? "done as a task" : "done at once");
    };
    mcp.addTool(job);

    mcpkeep::Tool ask;
    ask.name = "ask_two";
    ask.task_support = mcpkeep::TaskSupport::kRequired;
    ask.handler = [](const json&, mcpkeep::ToolContext& ctx) -> json {
      ctx.startTask();
      const auto question = [](const std::string& m) {
        return mcpkeep::InputRequest{"elicitation/create", {{"message", m}, {"requestedSchema", {{"type", "object"}}}}};
      };
      const auto got = ctx.requestInputs({{"a", question("A?")}, {"b", question("B?")}});
      return text(got.at("a")["content"]["v"].get<std::string>() + got.at("b")["content"]["v"].get<std::string>());
    };
    mcp.addTool(ask);
  }
  Gate gate;
  int saw_cancel = 0;
};

json result(const McpClient& client, const json& message) {
  const auto reply = client.postStateless(message);
  INFO(reply.body);
  return reply.parsedBody()["result"];
}

json taskGet(const McpClient& client, const std::string& id, int n = 100) {
  return result(client, statelessRequest(n, "tasks/get", {{"taskId", id}}, withTasks()));
}

// Polls tasks/get until `done` holds, for at most 10 s.
json pollUntil(const McpClient& client, const std::string& id, const std::function<bool(const json&)>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  json task;
  do {
    task = taskGet(client, id);
    if (done(task)) return task;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  } while (std::chrono::steady_clock::now() < deadline);
  FAIL("task " << id << " stayed " << task.dump());
  return task;
}

}  // namespace

TEST_CASE("a tool call becomes a task, committed before its id is sent, tasks/get follows it to its result") {
  TaskServer server;
  McpClient client = server.client();
  const json created = result(client, statelessRequest(1, "tools/call", {{"name", "job"}, {"arguments", json::object()}}, withTasks()));
  REQUIRE(created["resultType"] == "task");
  const std::string id = created["taskId"];
  CHECK(created["status"] == "working");
  CHECK(created["ttlMs"] == 3600000);
  CHECK(created["pollIntervalMs"] == 1000);
  CHECK_FALSE(created.contains("requestState"));
  // In the file already, and readable with the sqlite3 CLI.
  REQUIRE(server.store.task(id));
  const auto row = mcpkeep::test::runSqlite3(server.store.path(), "SELECT tool, status FROM tasks_v WHERE id = '" + id + "';");
  CHECK(row.output == "job|working\n");

  const json working = taskGet(client, id);
  CHECK(working["resultType"] == "complete");
  CHECK(working["status"] == "working");
  CHECK(working["statusMessage"] == "running");
  CHECK_FALSE(working.contains("result"));

  server.gate.open();
  const json done = pollUntil(client, id, [](const json& t) { return t["status"] == "completed"; });
  CHECK(done["result"]["content"][0]["text"] == "done as a task");
  CHECK(done["result"]["resultType"] == "complete");  // the CallToolResult the call would have given
}

TEST_CASE("a caller without the tasks extension gets a plain result, -32021 for task requests and required tools") {
  TaskServer server;
  server.gate.open();
  McpClient client = server.client();
  const json plain = result(client, statelessRequest(1, "tools/call", {{"name", "job"}, {"arguments", json::object()}}));
  CHECK(plain["resultType"] == "complete");
  CHECK(plain["content"][0]["text"] == "done at once");

  const auto refused = client.postStateless(statelessRequest(2, "tools/call", {{"name", "ask_two"}, {"arguments", json::object()}}));
  CHECK(refused.status == 400);
  CHECK(refused.parsedBody()["error"]["code"] == -32021);
  CHECK(refused.parsedBody()["error"]["data"]["requiredCapabilities"]["extensions"].contains("io.modelcontextprotocol/tasks"));
  for (const char* method : {"tasks/get", "tasks/update", "tasks/cancel"}) {
    const auto reply = client.postStateless(statelessRequest(3, method, {{"taskId", std::string(32, 'a')}, {"inputResponses", json::object()}}));
    CHECK(reply.parsedBody()["error"]["code"] == -32021);
  }
  // The session era knows no tasks/* methods.
  McpClient legacy = server.client();
  legacy.initialize();
  CHECK(legacy.request("tasks/get", {{"taskId", std::string(32, 'a')}})["error"]["code"] == -32601);
}

TEST_CASE("a task waits for input: partial tasks/update keeps it input_required until every answer is in") {
  TaskServer server;
  McpClient client = server.client();
  const json caps = withTasks({{"elicitation", json::object()}});
  const std::string id =
      result(client, statelessRequest(1, "tools/call", {{"name", "ask_two"}, {"arguments", json::object()}}, caps))["taskId"];
  json waiting = pollUntil(client, id, [](const json& t) { return t["status"] == "input_required"; });
  CHECK(waiting["inputRequests"].size() == 2);

  const auto update = [&](json responses) {
    return result(client, statelessRequest(7, "tasks/update", {{"taskId", id}, {"inputResponses", std::move(responses)}}, caps));
  };
  CHECK(update({{"a", {{"action", "accept"}, {"content", {{"v", "x"}}}}}, {"never-asked", json::object()}}) ==
        json({{"resultType", "complete"}, {"_meta", {{"io.modelcontextprotocol/serverInfo", {{"name", "mcpkeep"}, {"version", "0.1.0"}}}}}}));
  waiting = taskGet(client, id);
  CHECK(waiting["status"] == "input_required");
  CHECK(waiting["inputRequests"].size() == 1);
  CHECK(waiting["inputRequests"].contains("b"));

  update({{"b", {{"action", "accept"}, {"content", {{"v", "y"}}}}}});
  const json done = pollUntil(client, id, [](const json& t) { return t["status"] == "completed"; });
  CHECK(done["result"]["content"][0]["text"] == "xy");
  CHECK_FALSE(done.contains("inputRequests"));
}

TEST_CASE("tasks/cancel: cancelled before the ack, the handler sees it, its late result is not recorded") {
  TaskServer server;
  McpClient client = server.client();
  const std::string id =
      result(client, statelessRequest(1, "tools/call", {{"name", "job"}, {"arguments", json::object()}}, withTasks()))["taskId"];
  CHECK(result(client, statelessRequest(2, "tasks/cancel", {{"taskId", id}}, withTasks()))["resultType"] == "complete");
  CHECK(server.store.task(id)->status == mcpkeep::TaskStatus::kCancelled);  // before the ack came back
  {
    std::unique_lock<std::mutex> lock(server.gate.mutex);
    server.gate.changed.wait_for(lock, std::chrono::seconds(10), [&] { return server.saw_cancel > 0; });
    CHECK(server.saw_cancel == 1);
  }
  const json cancelled = taskGet(client, id);
  CHECK(cancelled["status"] == "cancelled");
  CHECK_FALSE(cancelled.contains("result"));
  // Cancelling a finished task is acknowledged again; an unknown id is -32602.
  CHECK(result(client, statelessRequest(3, "tasks/cancel", {{"taskId", id}}, withTasks()))["resultType"] == "complete");
  const auto unknown = client.postStateless(statelessRequest(4, "tasks/get", {{"taskId", std::string(32, 'f')}}, withTasks()));
  CHECK(unknown.status == 400);
  CHECK(unknown.parsedBody()["error"]["code"] == -32602);
  const auto no_id = client.postStateless(statelessRequest(5, "tasks/get", json::object(), withTasks()));
  CHECK(no_id.parsedBody()["error"]["code"] == -32602);
  // The Mcp-Name header must name the task.
  const auto wrong_name = client.postStateless(statelessRequest(6, "tasks/get", {{"taskId", id}}, withTasks()),
                                               {{"Mcp-Name", std::string(32, 'f')}});
  CHECK(wrong_name.parsedBody()["error"]["code"] == -32020);
}

TEST_CASE("a protocol error fails the task with the error, a thrown exception completes it as isError") {
  TaskServer server;
  server.gate.open();
  McpClient client = server.client();
  const std::string failed_id = result(client, statelessRequest(1, "tools/call",
                                                                {{"name", "job"}, {"arguments", {{"protocol_error", true}}}},
                                                                withTasks()))["taskId"];
  const json failed = pollUntil(client, failed_id, [](const json& t) { return t["status"] != "working"; });
  CHECK(failed["status"] == "failed");
  CHECK(failed["error"]["code"] == -32603);
  CHECK(failed["error"]["message"] == "no can do");
  CHECK_FALSE(failed.contains("result"));

  const std::string broke_id = result(client, statelessRequest(2, "tools/call", {{"name", "job"}, {"arguments", {{"fail", true}}}},
                                                               withTasks()))["taskId"];
  const json broke = pollUntil(client, broke_id, [](const json& t) { return t["status"] != "working"; });
  CHECK(broke["status"] == "completed");
  CHECK(broke["result"]["isError"] == true);
}

TEST_CASE("listeners asking for a task's id hear its status changes") {
  TaskServer server;
  McpClient client = server.client();
  const std::string id =
      result(client, statelessRequest(1, "tools/call", {{"name", "job"}, {"arguments", json::object()}}, withTasks()))["taskId"];
  // Its last change before the gate is made before anyone listens.
  pollUntil(client, id, [](const json& t) { return t.value("statusMessage", "") == "running"; });
  mcpkeep::test::Listening seen(
      client, statelessRequest(9, "subscriptions/listen", {{"notifications", {{"taskIds", {id}}}}}, withTasks()), 2);
  REQUIRE(seen.waitFor(1));
  CHECK(seen[0]["params"]["notifications"]["taskIds"] == json::array({id}));
  server.gate.open();
  REQUIRE(seen.waitFor(2));
  CHECK(seen[1]["method"] == "notifications/tasks");
  CHECK(seen[1]["params"]["taskId"] == id);
  CHECK(seen[1]["params"]["status"] == "completed");
  CHECK(seen[1]["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"] == 9);
  CHECK(seen.finish().status == 200);

  // Asking for task notifications needs the extension.
  const auto refused = client.postStateless(statelessRequest(10, "subscriptions/listen", {{"notifications", {{"taskIds", {id}}}}}));
  CHECK(refused.parsedBody()["error"]["code"] == -32021);
}
