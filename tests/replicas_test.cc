// Replicas: several processes serving one PostgreSQL database, the client
// addressing each directly. Sessions answer on every replica, live events
// cross replicas at once (LISTEN/NOTIFY), a replica's kill -9 is finished by
// a survivor once its lease ran out, exactly once, and a restart of one
// leaves the others' streams alone. Skipped without a PostgreSQL server.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>

#include <regex>
#include <future>
#include <set>
#include <thread>

#include <mcpkeep/http_server.h>
#include <mcpkeep/mcp_server.h>
#include <nlohmann/json.hpp>

#include "helpers/backends.h"
#include "helpers/child_process.h"
#include "helpers/mcp_client.h"
#include "helpers/temp_dir.h"

using namespace std::chrono_literals;
using nlohmann::json;
using mcpkeep::test::ChildProcess;
using mcpkeep::test::McpClient;
using mcpkeep::test::SseEvent;

namespace {

// A replica in this process: Store, Hub, McpServer and HttpServer on the
// shared database, with a resource clients subscribe to and a tool that
// announces it changed. The hub's poll is slow on purpose: what arrives
// sooner came through the store's notification.
struct Replica {
  explicit Replica(const std::string& db) : store(db, options()), hub(store, slowPoll()), mcp(hub), http(mcp, httpOptions()) {
    mcpkeep::Resource doc;
    doc.uri = "test://doc";
    doc.name = "doc";
    doc.handler = [](const std::string& uri, const std::map<std::string, std::string>&) -> json {
      return {{"contents", {{{"uri", uri}, {"text", "v"}}}}};
    };
    mcp.addResource(doc);
    mcpkeep::Tool touch;
    touch.name = "touch";
    touch.handler = [this](const json&, mcpkeep::ToolContext&) -> json {
      mcp.notifyResourceUpdated("test://doc");
      return {{"content", json::array()}};
    };
    mcp.addTool(touch);
    mcpkeep::Tool ask;  // asks the client a question, answers with its reply
    ask.name = "ask";
    ask.handler = [](const json&, mcpkeep::ToolContext& context) -> json {
      const json reply = context.elicit({{"message", "Your name?"},
                                         {"requestedSchema", {{"type", "object"}, {"properties", {{"name", {{"type", "string"}}}}}}}});
      return {{"content", {{{"type", "text"}, {"text", reply["content"]["name"].get<std::string>()}}}}};
    };
    mcp.addTool(ask);
    mcpkeep::Tool wait;  // runs until cancelled
    wait.name = "wait";
    wait.handler = [this](const json&, mcpkeep::ToolContext& context) -> json {
      const auto deadline = std::chrono::steady_clock::now() + 20s;
      while (!context.cancelled() && std::chrono::steady_clock::now() < deadline) {
        context.progress(1);
        std::this_thread::sleep_for(20ms);
      }
      saw_cancel = context.cancelled();
      return {{"content", json::array()}};
    };
    mcp.addTool(wait);
    http.start();
  }
  ~Replica() {
    http.stop();
    mcp.shutdown();
  }
  static mcpkeep::StoreOptions options() {
    auto o = mcpkeep::test::testOptions();
    o.replica_lease = 1s;
    return o;
  }
  static mcpkeep::HubOptions slowPoll() {
    mcpkeep::HubOptions o;
    o.poll_interval = 5s;
    return o;
  }
  static mcpkeep::HttpOptions httpOptions() {
    mcpkeep::HttpOptions o;
    o.port = 0;
    return o;
  }
  McpClient client() const { return McpClient(http.port()); }

  std::atomic<bool> saw_cancel{false};
  mcpkeep::Store store;
  mcpkeep::Hub hub;
  mcpkeep::McpServer mcp;
  mcpkeep::HttpServer http;
};

// `mcpkeep serve` on the shared database with a 1 s lease (and `more`
// arguments); returns it and its port.
std::pair<std::unique_ptr<ChildProcess>, uint16_t> serveReplica(const std::string& db,
                                                                std::vector<std::string> more = {}) {
  std::vector<std::string> argv = {MCPKEEP_BINARY, "serve", "--db", db, "--listen", "127.0.0.1:0", "--replica-lease", "1"};
  argv.insert(argv.end(), more.begin(), more.end());
  auto server = std::make_unique<ChildProcess>(argv);
  const auto line = server->readLine(30s);
  REQUIRE(line);
  std::smatch port;
  REQUIRE(std::regex_search(*line, port, std::regex("127\\.0\\.0\\.1:([0-9]+)/mcp")));
  return {std::move(server), static_cast<uint16_t>(std::stoi(port[1]))};
}

json slowTask(int id, int steps) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"method", "tools/call"},
          {"params", {{"name", "slow_task"}, {"arguments", {{"steps", steps}, {"interval_ms", 10}}},
                      {"_meta", {{"progressToken", "p"}}}}}};
}

}  // namespace

TEST_CASE("replicas: a session initialized on one answers on the other, and appends from both never share a seq", "[postgres]") {
  const std::string db = mcpkeep::test::newPostgresDatabase();
  Replica a(db);
  Replica b(db);
  McpClient on_a = a.client();
  on_a.initialize();
  McpClient on_b = b.client();
  on_b.session_id = on_a.session_id;
  on_b.protocol_version = on_a.protocol_version;
  const json echoed = on_b.request("tools/call", {{"name", "touch"}, {"arguments", json::object()}});
  CHECK(echoed["result"]["content"] == json::array());
  CHECK(on_b.request("ping")["result"] == json::object());
  CHECK(a.store.replicaId() != b.store.replicaId());

  // Both stores append to one session's standalone stream at once.
  const std::string session = on_a.session_id;
  const mcpkeep::StreamId standalone = a.store.standaloneStream(session);
  std::vector<std::thread> writers;
  for (mcpkeep::Store* store : {&a.store, &b.store}) {
    for (int t = 0; t < 2; ++t) {
      writers.emplace_back([store, &session, standalone] {
        for (int i = 0; i < 50; ++i) store->append(session, standalone, "message", R"({"jsonrpc":"2.0","method":"x"})");
      });
    }
  }
  for (auto& w : writers) w.join();
  const auto events = a.store.events(session);
  std::set<int64_t> seqs;
  for (const auto& e : events) seqs.insert(e.seq);
  CHECK(seqs.size() == events.size());  // unique
  REQUIRE(events.size() >= 200);
  CHECK(*seqs.rbegin() - *seqs.begin() + 1 == static_cast<int64_t>(seqs.size()));  // no gap
}

TEST_CASE("replicas: a GET stream on one gets a notification a request on the other caused, at once", "[postgres]") {
  const std::string db = mcpkeep::test::newPostgresDatabase();
  Replica a(db);
  Replica b(db);
  McpClient on_a = a.client();
  on_a.initialize();
  CHECK(on_a.request("resources/subscribe", {{"uri", "test://doc"}})["result"] == json::object());

  std::mutex mutex;
  std::condition_variable arrived;
  bool primed = false;
  std::optional<std::chrono::steady_clock::time_point> heard;
  std::thread listener([&] {
    on_a.get({}, 2, [&](const SseEvent& e) {
      std::lock_guard<std::mutex> lock(mutex);
      if (e.data.empty()) primed = true;  // A serves the stream: what follows is live
      if (e.data.find("notifications/resources/updated") != std::string::npos) {
        heard = std::chrono::steady_clock::now();
      }
      arrived.notify_all();
    });
  });
  {
    std::unique_lock<std::mutex> lock(mutex);
    REQUIRE(arrived.wait_for(lock, 10s, [&] { return primed; }));
  }
  McpClient on_b = b.client();
  on_b.session_id = on_a.session_id;
  on_b.protocol_version = on_a.protocol_version;
  const auto sent = std::chrono::steady_clock::now();
  on_b.request("tools/call", {{"name", "touch"}, {"arguments", json::object()}});
  {
    std::unique_lock<std::mutex> lock(mutex);
    REQUIRE(arrived.wait_for(lock, 10s, [&] { return heard.has_value(); }));
  }
  // Well under the hub's 5 s poll: the commit's NOTIFY woke A.
  CHECK(*heard - sent < 1s);
  a.http.stop();  // ends the GET
  listener.join();
}

TEST_CASE("replicas: after kill -9 of one, the other replays what was missed once, then the interrupted answer once the lease ran out", "[postgres]") {
  const std::string db = mcpkeep::test::newPostgresDatabase();
  auto [a, port_a] = serveReplica(db);
  auto [b, port_b] = serveReplica(db);
  McpClient on_a(port_a);
  on_a.initialize();

  // A slow_task on A, read until 5 events arrived; then A dies.
  std::mutex mutex;
  std::condition_variable arrived;
  std::vector<SseEvent> seen;
  std::thread call([&] {
    try {
      on_a.send("POST", slowTask(7, 500).dump(), on_a.standardHeaders(), SIZE_MAX, [&](const SseEvent& e) {
        std::lock_guard<std::mutex> lock(mutex);
        seen.push_back(e);
        arrived.notify_all();
      });
    } catch (const std::exception&) {
      // The connection dies with A.
    }
  });
  {
    std::unique_lock<std::mutex> lock(mutex);
    REQUIRE(arrived.wait_for(lock, 30s, [&] { return seen.size() >= 5; }));
  }
  const auto killed_at = std::chrono::steady_clock::now();
  REQUIRE(WIFSIGNALED(a->signalAndWait(SIGKILL)));
  call.join();
  const SseEvent last = seen.back();

  // On B: the events after the last one seen, each once, then the answer B
  // wrote once A's 1 s lease ran out (B looks every half lease).
  McpClient on_b(port_b);
  on_b.session_id = on_a.session_id;
  on_b.protocol_version = on_a.protocol_version;
  const auto replay = on_b.get({{"Last-Event-ID", last.id}}, SIZE_MAX);
  REQUIRE(replay.status == 200);
  REQUIRE_FALSE(replay.events.empty());
  std::set<std::string> ids;
  for (const auto& e : replay.events) CHECK(ids.insert(e.id).second);
  const auto after = *mcpkeep::EventId::parse(last.id);
  for (const auto& e : replay.events) CHECK(mcpkeep::EventId::parse(e.id)->seq > after.seq);
  const json end = json::parse(replay.events.back().data);
  CHECK(end["id"] == 7);
  CHECK(end["error"]["code"] == -32603);
  // Not before the lease ran out: A renewed it every third of a second, so
  // it ran out between 2/3 s and 1 s after A's death.
  CHECK(std::chrono::steady_clock::now() - killed_at >= 600ms);
  int answers = 0;
  for (const auto& e : replay.events) answers += json::parse(e.data).contains("error") ? 1 : 0;
  CHECK(answers == 1);
  CHECK(WEXITSTATUS(b->signalAndWait(SIGTERM)) == 0);
}

TEST_CASE("replicas: a task left unfinished by kill -9 of one is failed by the other, which served all along", "[postgres]") {
  const std::string db = mcpkeep::test::newPostgresDatabase();
  auto [a, port_a] = serveReplica(db);
  auto [b, port_b] = serveReplica(db);
  const McpClient on_a(port_a);
  const McpClient on_b(port_b);
  // B's first request comes before A's task: B recovered tasks at start.
  const auto ping = on_b.postStateless(mcpkeep::test::statelessRequest(1, "tools/list", json::object()));
  REQUIRE(ping.status == 200);
  const auto made = on_a.postStateless(mcpkeep::test::statelessRequest(
      2, "tools/call", {{"name", "slow_task"}, {"arguments", {{"steps", 1000}, {"interval_ms", 10}}}},
      mcpkeep::test::withTasks()));
  const json task = json::parse(made.body, nullptr, false)["result"];
  REQUIRE(task.value("resultType", "") == "task");
  const std::string task_id = task["taskId"];
  REQUIRE(WIFSIGNALED(a->signalAndWait(SIGKILL)));

  // Polled on B: working until A's lease ran out, then failed as stopped.
  json seen;
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  do {
    const auto got = on_b.postStateless(
        mcpkeep::test::statelessRequest(3, "tasks/get", {{"taskId", task_id}}, mcpkeep::test::withTasks()));
    seen = json::parse(got.body, nullptr, false)["result"];
    if (seen.value("status", "") != "working") break;
    std::this_thread::sleep_for(50ms);
  } while (std::chrono::steady_clock::now() < deadline);
  CHECK(seen["status"] == "failed");
  CHECK(seen["statusMessage"] == "the server stopped before the task finished");
  CHECK(WEXITSTATUS(b->signalAndWait(SIGTERM)) == 0);
}

TEST_CASE("replicas: restarting one leaves the calls the other is answering alone", "[postgres]") {
  const std::string db = mcpkeep::test::newPostgresDatabase();
  auto [a, port_a] = serveReplica(db);
  auto [b, port_b] = serveReplica(db);
  McpClient on_b(port_b);
  on_b.initialize();
  std::vector<SseEvent> seen;
  std::thread call([&] {
    on_b.send("POST", slowTask(9, 150).dump(), on_b.standardHeaders(), SIZE_MAX,
              [&](const SseEvent& e) { seen.push_back(e); });
  });
  // A stops and starts again (a deploy) while B's call runs: 1.5 s.
  CHECK(WEXITSTATUS(a->signalAndWait(SIGTERM)) == 0);
  auto [again, port_again] = serveReplica(db);
  call.join();
  REQUIRE_FALSE(seen.empty());
  const json end = json::parse(seen.back().data);
  CHECK(end["id"] == 9);
  CHECK(end.contains("result"));  // answered by B, not interrupted by A's start
  CHECK(WEXITSTATUS(again->signalAndWait(SIGTERM)) == 0);
  CHECK(WEXITSTATUS(b->signalAndWait(SIGTERM)) == 0);
}

TEST_CASE("replicas: PostgreSQL restarting under load: 503 with a JSON-RPC error meanwhile, then service again, nothing answered is lost", "[postgres]") {
  // A server of its own: restarting the shared one would fail other tests.
  mcpkeep::test::TempDir dir;
  const std::string server_dir = dir.file("pg");
  const std::string script = MCPKEEP_SOURCE_DIR "/tests/postgres/server.sh";
  const auto started = mcpkeep::test::runCommand("'" + script + "' start '" + server_dir + "'");
  INFO(started.output);
  REQUIRE(started.exit_code == 0);
  struct Stop {
    std::string command;
    ~Stop() { mcpkeep::test::runCommand(command); }
  } stop{"'" + script + "' stop '" + server_dir + "'"};
  const std::string admin = mcpkeep::test::readFile(server_dir + "/uri");
  if (admin.empty()) throw std::runtime_error("no PostgreSQL server installed: " + started.output);
  const std::string db = admin.substr(0, admin.find('\n'));

  auto [a, port_a] = serveReplica(db);
  auto [b, port_b] = serveReplica(db);
  McpClient on_a(port_a);
  on_a.initialize();
  McpClient on_b(port_b);
  on_b.session_id = on_a.session_id;
  on_b.protocol_version = on_a.protocol_version;

  // Calls on both replicas, one after another on each, while the server restarts.
  std::atomic<bool> stop_calling{false};
  std::mutex mutex;
  std::vector<int> answered_ids;  // got their result
  int unavailable = 0;            // got 503 with a JSON-RPC error
  int other = 0;
  const auto calling = [&](McpClient& client, int first_id) {
    for (int id = first_id; !stop_calling; ++id) {
      const json call = {{"jsonrpc", "2.0"}, {"id", id}, {"method", "tools/call"},
                         {"params", {{"name", "echo"}, {"arguments", {{"message", std::to_string(id)}}}}}};
      mcpkeep::test::HttpReply reply;
      try {
        reply = client.post(call);
      } catch (const std::exception&) {
        std::lock_guard<std::mutex> lock(mutex);
        ++other;
        continue;
      }
      std::lock_guard<std::mutex> lock(mutex);
      if (reply.status == 200 && reply.response(id).contains("result")) {
        answered_ids.push_back(id);
      } else if (reply.status == 503 && json::parse(reply.body).contains("error")) {
        ++unavailable;
      } else {
        ++other;
      }
    }
  };
  std::thread calls_a([&] { calling(on_a, 100); });  // past the initialize's id
  std::thread calls_b([&] { calling(on_b, 1000000); });
  const auto count_answered = [&] {
    std::lock_guard<std::mutex> lock(mutex);
    return answered_ids.size();
  };
  const auto wait_answered = [&](std::size_t n) {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (count_answered() < n && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
    return count_answered() >= n;
  };
  REQUIRE(wait_answered(50));
  const auto restarted = mcpkeep::test::runCommand("'" + script + "' restart '" + server_dir + "'");
  INFO(restarted.output);
  REQUIRE(restarted.exit_code == 0);
  const std::size_t after_restart = count_answered();
  CHECK(wait_answered(after_restart + 50));  // both replicas reconnected
  stop_calling = true;
  calls_a.join();
  calls_b.join();
  CHECK(unavailable > 0);  // the outage was seen, and said so
  CHECK(other == 0);

  // Every call answered is on file, once.
  mcpkeep::Store reader(db, mcpkeep::test::testOptions());
  std::map<int, int> on_file;
  std::map<int, std::string> where;
  for (const auto& e : reader.events(on_a.session_id)) {
    const json m = json::parse(e.data, nullptr, false);
    if (m.is_object() && m.contains("result") && m["id"].is_number()) {
      ++on_file[m["id"].get<int>()];
      where[m["id"].get<int>()] += e.id + " ";
    }
  }
  for (int id : answered_ids) {
    INFO("request " << id << " answered in events " << where[id]);
    CHECK(on_file[id] == 1);
  }
  CHECK(WEXITSTATUS(a->signalAndWait(SIGTERM)) == 0);
  CHECK(WEXITSTATUS(b->signalAndWait(SIGTERM)) == 0);
}

TEST_CASE("replicas: a client's answer to an elicitation, and a cancellation, reach the replica whose tool waits, through another", "[postgres]") {
  const std::string db = mcpkeep::test::newPostgresDatabase();
  Replica a(db);
  Replica b(db);
  McpClient on_a = a.client();
  on_a.capabilities = {{"elicitation", json::object()}};
  on_a.initialize();
  McpClient on_b = b.client();
  on_b.session_id = on_a.session_id;
  on_b.protocol_version = on_a.protocol_version;

  // The call runs on A; the elicitation comes on its stream; the answer goes to B.
  const auto reply = on_a.send(
      "POST", json{{"jsonrpc", "2.0"}, {"id", 5}, {"method", "tools/call"}, {"params", {{"name", "ask"}, {"arguments", json::object()}}}}.dump(),
      on_a.standardHeaders(), SIZE_MAX, [&](const SseEvent& e) {
        const json m = json::parse(e.data, nullptr, false);
        if (!m.is_object() || m.value("method", "") != "elicitation/create") return;
        const json answer = {{"jsonrpc", "2.0"}, {"id", m["id"]}, {"result", {{"action", "accept"}, {"content", {{"name", "Ada"}}}}}};
        CHECK(on_b.post(answer).status == 202);
      });
  REQUIRE(reply.status == 200);
  CHECK(reply.response(5)["result"]["content"][0]["text"] == "Ada");

  // A call running on A, cancelled through B.
  auto running = std::async(std::launch::async, [&] {
    return on_a.post({{"jsonrpc", "2.0"}, {"id", 6}, {"method", "tools/call"},
                      {"params", {{"name", "wait"}, {"arguments", json::object()}, {"_meta", {{"progressToken", "w"}}}}}});
  });
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (a.store.eventCount(on_a.session_id) < 6 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);  // until its progress is on file: it runs
  }
  CHECK(on_b.post({{"jsonrpc", "2.0"}, {"method", "notifications/cancelled"}, {"params", {{"requestId", 6}}}}).status == 202);
  REQUIRE(running.wait_for(10s) == std::future_status::ready);
  CHECK(running.get().status == 200);
  CHECK(a.saw_cancel);
}

TEST_CASE("replicas as gateways: a client's answer to an upstream's elicitation reaches the replica holding that upstream, through another", "[postgres]") {
  const std::string db = mcpkeep::test::newPostgresDatabase();
  const std::vector<std::string> upstream = {"--upstream-command", std::string(MCPKEEP_CONFORMANCE_SERVER) + " --stdio"};
  auto [a, port_a] = serveReplica(db, upstream);
  auto [b, port_b] = serveReplica(db, upstream);
  McpClient on_a(port_a);
  on_a.capabilities = {{"elicitation", json::object()}};
  REQUIRE(on_a.initialize().status == 200);
  McpClient on_b(port_b);
  on_b.session_id = on_a.session_id;
  on_b.protocol_version = on_a.protocol_version;

  int answered = 0;
  const auto reply = on_a.send(
      "POST",
      json{{"jsonrpc", "2.0"}, {"id", 3}, {"method", "tools/call"},
           {"params", {{"name", "test_elicitation"}, {"arguments", {{"message", "Who?"}}}}}}.dump(),
      on_a.standardHeaders(), SIZE_MAX, [&](const SseEvent& e) {
        const json m = json::parse(e.data, nullptr, false);
        if (!m.is_object() || m.value("method", "") != "elicitation/create") return;
        const json answer = {{"jsonrpc", "2.0"}, {"id", m["id"]},
                             {"result", {{"action", "accept"}, {"content", {{"username", "ada"}, {"email", "ada@example.com"}}}}}};
        answered = on_b.post(answer).status;
      });
  CHECK(answered == 202);
  REQUIRE(reply.status == 200);
  const json result = reply.response(3);
  INFO(result.dump());
  CHECK_THAT(result["result"]["content"][0].value("text", ""), Catch::Contains("ada@example.com"));
  CHECK(WEXITSTATUS(a->signalAndWait(SIGTERM)) == 0);
  CHECK(WEXITSTATUS(b->signalAndWait(SIGTERM)) == 0);
}
