// The reason mcpkeep exists: kill -9 the real server during a long tool call,
// restart it on the same file, and the client carries on in its session.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <regex>
#include <thread>

#include <mcpkeep/event_id.h>

#include "helpers/child_process.h"
#include "helpers/mcp_client.h"
#include "helpers/temp_dir.h"

using nlohmann::json;
using mcpkeep::test::ChildProcess;
using mcpkeep::test::McpClient;
using mcpkeep::test::SseEvent;

namespace {

// Starts `mcpkeep serve` (or another server binary taking the same --db and
// --listen) on `db`; returns it and the port it bound.
std::pair<std::unique_ptr<ChildProcess>, uint16_t> startServer(const std::string& db,
                                                               std::vector<std::string> argv = {
                                                                   MCPKEEP_BINARY, "serve"}) {
  argv.insert(argv.end(), {"--db", db, "--listen", "127.0.0.1:0"});
  auto server = std::make_unique<ChildProcess>(argv);
  const auto line = server->readLine(std::chrono::seconds(30));
  REQUIRE(line);
  std::smatch port;
  REQUIRE(std::regex_search(*line, port, std::regex("127\\.0\\.0\\.1:([0-9]+)/mcp")));
  return {std::move(server), static_cast<uint16_t>(std::stoi(port[1]))};
}

// A request POSTed on a thread of its own, its SSE events collected as they
// arrive, for a test that stops the server in the middle.
class BackgroundCall {
 public:
  BackgroundCall(const McpClient& client, const json& request)
      : thread_([this, &client, body = request.dump()] {
          try {
            client.send("POST", body, client.standardHeaders(), SIZE_MAX, [this](const SseEvent& e) {
              std::lock_guard<std::mutex> lock(mutex_);
              seen_.push_back(e);
              arrived_.notify_all();
            });
          } catch (const std::exception&) {
            // The connection dies with the server.
          }
        }) {}
  ~BackgroundCall() {
    if (thread_.joinable()) thread_.join();
  }

  // True once `n` events have arrived, waiting at most 30 s.
  bool waitForEvents(std::size_t n) {
    std::unique_lock<std::mutex> lock(mutex_);
    return arrived_.wait_for(lock, std::chrono::seconds(30), [&] { return seen_.size() >= n; });
  }

  // Every event, once the call's connection has ended.
  std::vector<SseEvent> finish() {
    thread_.join();
    return seen_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<SseEvent> seen_;
  std::thread thread_;  // last: starts once the rest is made
};

double progressOf(const SseEvent& e) {
  const json m = json::parse(e.data);
  return m.value("method", "") == "notifications/progress" ? m["params"]["progress"].get<double>() : -1;
}

}  // namespace

TEST_CASE("after kill -9 and a restart the client resumes its session and its stream") {
  mcpkeep::test::TempDir dir;
  const std::string db = dir.file("restart.db");
  auto [server, port] = startServer(db);
  McpClient client(port);
  client.initialize("2025-11-25");
  REQUIRE(client.session_id.size() == 32);

  // A long tool call, read as it streams; the server dies after 4 progress events.
  BackgroundCall call(client, {{"jsonrpc", "2.0"}, {"id", 42}, {"method", "tools/call"},
                               {"params", {{"name", "slow_task"}, {"arguments", {{"steps", 500}, {"interval_ms", 10}}},
                                           {"_meta", {{"progressToken", "p"}}}}}});
  REQUIRE(call.waitForEvents(5));
  const int killed = server->signalAndWait(SIGKILL);
  const std::vector<SseEvent> seen = call.finish();
  REQUIRE(WIFSIGNALED(killed));
  REQUIRE(seen.size() >= 5);
  REQUIRE(seen[0].data.empty());  // the priming event
  const SseEvent last_seen = seen.back();
  const double last_progress = progressOf(last_seen);
  REQUIRE(last_progress >= 4);

  // Restart on the same file; same session, no initialize.
  auto [restarted, new_port] = startServer(db);
  McpClient resumed(new_port);
  resumed.session_id = client.session_id;
  resumed.protocol_version = client.protocol_version;
  const auto replay = resumed.get({{"Last-Event-ID", last_seen.id}}, SIZE_MAX);
  REQUIRE(replay.status == 200);
  REQUIRE_FALSE(replay.events.empty());

  // Exactly the missed events, in order: progress from where the client was,
  // then the error that ends the interrupted request.
  const auto after = *mcpkeep::EventId::parse(last_seen.id);
  int64_t previous_seq = after.seq;
  double expected_progress = last_progress + 1;
  for (std::size_t i = 0; i + 1 < replay.events.size(); ++i) {
    const auto id = *mcpkeep::EventId::parse(replay.events[i].id);
    CHECK(id.stream == after.stream);
    CHECK(id.seq > previous_seq);
    previous_seq = id.seq;
    CHECK(progressOf(replay.events[i]) == expected_progress);
    expected_progress += 1;
  }
  const json end = json::parse(replay.events.back().data);
  CHECK(end["id"] == 42);
  CHECK(end["error"]["code"] == -32603);
  CHECK_THAT(end["error"]["message"].get<std::string>(), Catch::Contains("interrupted"));

  // The session goes on: a new call works, with the stored protocol version.
  const json echoed = resumed.request("tools/call", {{"name", "echo"}, {"arguments", {{"message", "still here"}}}});
  CHECK(echoed["result"]["content"][0]["text"] == "still here");

  // SIGTERM stops it cleanly.
  const int stopped = restarted->signalAndWait(SIGTERM);
  CHECK(WIFEXITED(stopped));
  CHECK(WEXITSTATUS(stopped) == 0);
}

TEST_CASE("after kill -9 a pending elicitation ends in the interrupted error, subscriptions stay") {
  mcpkeep::test::TempDir dir;
  const std::string db = dir.file("elicit.db");
  const std::vector<std::string> fixture = {MCPKEEP_CONFORMANCE_SERVER};
  auto [server, port] = startServer(db, fixture);
  McpClient client(port);
  client.capabilities = {{"elicitation", json::object()}};
  client.initialize("2025-11-25");
  CHECK(client.request("resources/subscribe", {{"uri", "test://watched-resource"}})["result"] == json::object());

  // The tool asks the user and waits; read until the question arrives.
  const json call = {{"jsonrpc", "2.0"}, {"id", 9}, {"method", "tools/call"},
                     {"params", {{"name", "test_elicitation"}, {"arguments", {{"message", "Who are you?"}}}}}};
  const auto asked = client.send("POST", call.dump(), client.standardHeaders(), 2);
  REQUIRE(asked.events.size() == 2);  // the priming event, then the question
  const json question = json::parse(asked.events[1].data);
  REQUIRE(question["method"] == "elicitation/create");
  CHECK(question["params"]["message"] == "Who are you?");

  REQUIRE(WIFSIGNALED(server->signalAndWait(SIGKILL)));
  auto [restarted, new_port] = startServer(db, fixture);
  McpClient resumed(new_port);
  resumed.session_id = client.session_id;
  resumed.protocol_version = client.protocol_version;

  // The call is answered with the interrupted error; no one waits forever.
  const auto replay = resumed.get({{"Last-Event-ID", asked.events[1].id}}, SIZE_MAX);
  REQUIRE(replay.status == 200);
  REQUIRE(replay.events.size() == 1);
  const json end = json::parse(replay.events[0].data);
  CHECK(end["id"] == 9);
  CHECK(end["error"]["code"] == -32603);
  // An answer to the question the dead process asked is dropped without harm.
  CHECK(resumed.post({{"jsonrpc", "2.0"}, {"id", question["id"]},
                      {"result", {{"action", "accept"}, {"content", {{"username", "a"}, {"email", "b"}}}}}})
            .status == 202);

  // The subscription is still the session's, in the file.
  const auto subscribed = mcpkeep::test::runSqlite3(
      db, "SELECT uri FROM resource_subscriptions WHERE session_id = '" + client.session_id + "';");
  CHECK(subscribed.output == "test://watched-resource\n");
  CHECK(resumed.request("resources/unsubscribe", {{"uri", "test://watched-resource"}})["result"] == json::object());
  restarted->signalAndWait(SIGTERM);
}

TEST_CASE("tasks across kill -9: finished ones keep their results, working ones fail saying why or run again") {
  using mcpkeep::test::statelessRequest;
  using mcpkeep::test::withTasks;
  mcpkeep::test::TempDir dir;
  const std::string db = dir.file("tasks.db");
  const std::vector<std::string> fixture = {MCPKEEP_CONFORMANCE_SERVER};
  auto [server, port] = startServer(db, fixture);
  McpClient client(port);
  const json caps = withTasks({{"elicitation", json::object()}});
  int next = 1;
  const auto call = [&](McpClient& c, const std::string& tool, json arguments) {
    const auto reply = c.postStateless(statelessRequest(next++, "tools/call", {{"name", tool}, {"arguments", std::move(arguments)}}, caps));
    INFO(reply.body);
    REQUIRE(reply.parsedBody()["result"]["resultType"] == "task");
    return reply.parsedBody()["result"]["taskId"].get<std::string>();
  };
  const auto get = [&](McpClient& c, const std::string& id) {
    return c.postStateless(statelessRequest(next++, "tasks/get", {{"taskId", id}}, caps)).parsedBody()["result"];
  };
  const auto poll = [&](McpClient& c, const std::string& id, const std::string& status) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    json task;
    while (std::chrono::steady_clock::now() < deadline && (task = get(c, id))["status"] != status) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return task;
  };
  const std::string finished = call(client, "slow_compute", {{"seconds", 0}});
  const json before = poll(client, finished, "completed");
  REQUIRE(before["status"] == "completed");
  const std::string working = call(client, "slow_compute", {{"seconds", 60}});
  const std::string asking = call(client, "confirm_delete", {{"filename", "a.txt"}});
  REQUIRE(poll(client, asking, "input_required")["status"] == "input_required");
  const std::string rerun = call(client, "durable_compute", {{"seconds", 1}});

  REQUIRE(WIFSIGNALED(server->signalAndWait(SIGKILL)));
  auto [restarted, new_port] = startServer(db, fixture);
  McpClient after(new_port);
  const json kept = get(after, finished);
  CHECK(kept["status"] == "completed");
  CHECK(kept["result"] == before["result"]);
  for (const std::string& id : {working, asking}) {
    const json stopped = get(after, id);
    CHECK(stopped["status"] == "failed");
    CHECK(stopped["statusMessage"] == "the server stopped before the task finished");
    CHECK(stopped["error"]["code"] == -32603);
  }
  const json again = poll(after, rerun, "completed");
  CHECK(again["status"] == "completed");
  CHECK(again["result"]["content"][0]["text"] == "durably computed");
  // Nothing lost, nothing made twice.
  CHECK(mcpkeep::test::runSqlite3(db, "SELECT count(*) FROM tasks;").output == "4\n");
  restarted->signalAndWait(SIGTERM);
}

TEST_CASE("serve --sse-retry sets the retry hint that clients wait before reconnecting") {
  mcpkeep::test::TempDir dir;
  auto [server, port] = startServer(dir.file("retry.db"), {MCPKEEP_BINARY, "serve", "--sse-retry", "2500"});
  McpClient client(port);
  const auto reply = client.initialize();
  REQUIRE(!reply.events.empty());
  CHECK(reply.events[0].retry == 2500);
}

TEST_CASE("serve on a port another server holds exits non-zero naming it, after a kill -9 the port is free at once") {
  mcpkeep::test::TempDir dir;
  auto [first, port] = startServer(dir.file("first.db"));
  const std::string address = "127.0.0.1:" + std::to_string(port);
  ChildProcess second({"/bin/sh", "-c",
                      std::string("exec ") + MCPKEEP_BINARY + " serve --db " + dir.file("second.db") +
                          " --listen " + address + " 2>&1"});
  bool named = false;
  while (const auto line = second.readLine(std::chrono::seconds(30))) {
    named = named || line->find("cannot listen on " + address) != std::string::npos;
  }
  CHECK(named);
  const auto status = second.waitForExit(std::chrono::seconds(30));
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 1);
  McpClient client(port);  // the first one still serves
  client.initialize();
  CHECK(client.request("ping").contains("result"));

  REQUIRE(WIFSIGNALED(first->signalAndWait(SIGKILL)));
  ChildProcess third({MCPKEEP_BINARY, "serve", "--db", dir.file("first.db"), "--listen", address});
  const auto listening = third.readLine(std::chrono::seconds(30));
  REQUIRE(listening);
  CHECK(listening->find("listening on http://" + address) != std::string::npos);
}

TEST_CASE("serve on a file another live server holds exits non-zero naming it, admin commands work beside it") {
  mcpkeep::test::TempDir dir;
  const std::string db = dir.file("held.db");
  auto [first, port] = startServer(db);
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/mcp";
  ChildProcess second({"/bin/sh", "-c",
                      std::string("exec ") + MCPKEEP_BINARY + " serve --db " + db + " --listen 127.0.0.1:0 2>&1"});
  std::string output;
  while (const auto line = second.readLine(std::chrono::seconds(30))) output += *line + "\n";
  INFO(output);
  CHECK_THAT(output, Catch::Contains(db) && Catch::Contains("pid " + std::to_string(first->pid())) &&
                         Catch::Contains(url));
  CHECK(output.find("listening") == std::string::npos);
  const auto status = second.waitForExit(std::chrono::seconds(30));
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 1);

  ChildProcess stats({MCPKEEP_BINARY, "stats", "--db", db, "--json"});
  const auto report = stats.readLine(std::chrono::seconds(30));
  REQUIRE(report);
  CHECK(json::parse(*report).contains("sessions"));
  const auto stats_status = stats.waitForExit(std::chrono::seconds(30));
  REQUIRE(stats_status);
  CHECK(WEXITSTATUS(*stats_status) == 0);
  McpClient client(port);  // the first one still serves
  client.initialize();
  CHECK(client.request("ping").contains("result"));

  // Its lock dies with it, kill -9 included: a new server starts at once.
  REQUIRE(WIFSIGNALED(first->signalAndWait(SIGKILL)));
  auto [third, third_port] = startServer(db);
  McpClient again(third_port);
  again.session_id = client.session_id;
  again.protocol_version = client.protocol_version;
  CHECK(again.request("ping").contains("result"));
}

namespace {

// A slow_task call of `steps` x `interval_ms` on `port`; SIGTERM once its
// first progress is seen; the server back on the same file; the client
// resumes after the last event it saw. Returns the resumed stream's events.
std::vector<SseEvent> stopMidCall(const std::string& db, std::unique_ptr<ChildProcess>& server, uint16_t port,
                                  int steps, int interval_ms) {
  McpClient client(port);
  client.initialize();
  BackgroundCall call(client, {{"jsonrpc", "2.0"}, {"id", 7}, {"method", "tools/call"},
                               {"params", {{"name", "slow_task"}, {"arguments", {{"steps", steps}, {"interval_ms", interval_ms}}},
                                           {"_meta", {{"progressToken", "p"}}}}}});
  REQUIRE(call.waitForEvents(2));  // the priming event and the first progress
  const int stopped = server->signalAndWait(SIGTERM);
  std::vector<SseEvent> seen = call.finish();
  CHECK(WIFEXITED(stopped));
  CHECK(WEXITSTATUS(stopped) == 0);
  for (const SseEvent& e : seen) CHECK(json::parse(e.data.empty() ? "{}" : e.data).value("id", 0) != 7);
  // The stream ended with a retry hint, an event without an id: resume from the last with one.
  seen.erase(std::remove_if(seen.begin(), seen.end(), [](const SseEvent& e) { return e.id.empty(); }), seen.end());
  REQUIRE_FALSE(seen.empty());

  auto [restarted, new_port] = startServer(db);
  server = std::move(restarted);
  McpClient resumed(new_port);
  resumed.session_id = client.session_id;
  resumed.protocol_version = client.protocol_version;
  const auto replay = resumed.get({{"Last-Event-ID", seen.back().id}}, SIZE_MAX);
  REQUIRE(replay.status == 200);
  return replay.events;
}

}  // namespace

TEST_CASE("SIGTERM during a call that finishes within the grace period: the resumed client gets its result") {
  mcpkeep::test::TempDir dir;
  const std::string db = dir.file("graceful.db");
  auto [server, port] = startServer(db);
  const auto events = stopMidCall(db, server, port, 6, 300);  // 1.8 s, within the 5 s grace
  REQUIRE_FALSE(events.empty());
  const json end = json::parse(events.back().data);
  CHECK(end["id"] == 7);
  CHECK(end["result"]["content"][0]["text"] == "done after 6 steps");
}

TEST_CASE("SIGTERM during a call that outlasts the grace period: the resumed client gets the interrupted error") {
  mcpkeep::test::TempDir dir;
  const std::string db = dir.file("outlasted.db");
  auto [server, port] = startServer(db);
  const auto events = stopMidCall(db, server, port, 200, 100);  // 20 s
  REQUIRE_FALSE(events.empty());
  const json end = json::parse(events.back().data);
  CHECK(end["id"] == 7);
  CHECK(end["error"]["code"] == -32603);
  CHECK_THAT(end["error"]["message"].get<std::string>(), Catch::Contains("interrupted"));
}
