// The gateway in this process (Store + Hub + gateway::Gateway + HttpServer)
// in front of small stdio upstreams written in sh: a session per child, a
// child's crash, upstreams that cannot serve, limits, idle stops.
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <thread>

#include <catch2/catch.hpp>

#include <mcpkeep/http_server.h>

#include "gateway/command.h"
#include "gateway/gateway.h"
#include "gateway/upstream.h"
#include "helpers/faulty_vfs.h"
#include "helpers/mcp_client.h"
#include "helpers/raw_http.h"
#include "helpers/server_fixture.h"
#include "helpers/temp_dir.h"

namespace {

using nlohmann::json;
using mcpkeep::gateway::Gateway;
using mcpkeep::gateway::GatewayOptions;
using mcpkeep::gateway::UpstreamError;

// A stdio MCP server in sh: answers initialize, tools/call (with its pid;
// the tool "crash" makes it say so on stderr and exit 7) and anything else
// with an empty result. The gateway sends compact JSON with sorted keys, so
// a request line starts with {"id":N,.
const char kShellServer[] = R"(#!/bin/sh
while IFS= read -r line; do
  id=${line#'{"id":'}; id=${id%%,*}
  case "$line" in
    '{"id":'*'"method":"initialize"'*)
      printf '{"jsonrpc":"2.0","id":%s,"result":{"protocolVersion":"2025-11-25","capabilities":{"tools":{}},"serverInfo":{"name":"sh-fixture","version":"1"}}}\n' "$id" ;;
    '{"id":'*'"name":"crash"'*)
      echo "dying now" >&2; exit 7 ;;
    '{"id":'*'"method":"tools/call"'*)
      printf '{"jsonrpc":"2.0","id":%s,"result":{"content":[{"type":"text","text":"pid %s"}]}}\n' "$id" "$$" ;;
    '{"id":'*)
      printf '{"jsonrpc":"2.0","id":%s,"result":{}}\n' "$id" ;;
  esac
done
)";

template <typename F>
bool eventually(F condition, std::chrono::milliseconds wait = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

struct GatewayFixture {
  explicit GatewayFixture(GatewayOptions o = GatewayOptions()) : options(std::move(o)) {
    const std::string script = dir.file("server.sh");
    std::ofstream(script) << kShellServer;
    if (options.command.argv.empty()) options.command.argv = {"/bin/sh", script};
    gateway = std::make_unique<Gateway>(hub, options);
    http = std::make_unique<mcpkeep::HttpServer>(*gateway, mcpkeep::test::testHttpOptions());
    http->start();
  }
  ~GatewayFixture() {
    http->stop();
    http.reset();
    gateway.reset();
  }

  mcpkeep::test::McpClient client() const { return mcpkeep::test::McpClient(http->port()); }

  GatewayOptions options;
  mcpkeep::test::TempDir dir;
  mcpkeep::Store store{dir.file("gateway.db"), mcpkeep::test::testOptions()};
  mcpkeep::Hub hub{store};
  std::unique_ptr<Gateway> gateway;
  std::unique_ptr<mcpkeep::HttpServer> http;
};

json call(mcpkeep::test::McpClient& client, const std::string& tool) {
  return client.request("tools/call", {{"name", tool}, {"arguments", json::object()}});
}

const json kInitialize = {{"jsonrpc", "2.0"},
                          {"id", 1},
                          {"method", "initialize"},
                          {"params",
                           {{"protocolVersion", "2025-11-25"},
                            {"capabilities", json::object()},
                            {"clientInfo", {{"name", "t"}, {"version", "1"}}}}}};

// GET `path` (outside the MCP endpoint): the whole raw response.
std::string page(uint16_t port, const std::string& path) {
  mcpkeep::test::RawHttp http(port);
  http.send("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  return http.readUntilClosed();
}

// A probe of `argv`, with a short start timeout: the message it throws.
std::string probeFailure(std::vector<std::string> argv) {
  GatewayOptions options;
  options.command.argv = std::move(argv);
  options.start_timeout = std::chrono::milliseconds(500);
  GatewayFixture fixture(options);
  try {
    fixture.gateway->probe();
  } catch (const UpstreamError& e) {
    return e.what();
  }
  return "no failure";
}

}  // namespace

TEST_CASE("gateway: each session gets a child of its own, and a child's crash ends only its own call") {
  GatewayFixture fixture;
  auto alice = fixture.client();
  auto bob = fixture.client();
  CHECK(alice.initialize().response(1)["result"]["serverInfo"]["name"] == "sh-fixture");
  bob.initialize();
  const std::string alice_pid = call(alice, "who")["result"]["content"][0]["text"];
  const std::string bob_pid = call(bob, "who")["result"]["content"][0]["text"];
  CHECK(alice_pid != bob_pid);
  CHECK(fixture.gateway->stats().running == 2);

  const json crashed = call(alice, "crash");
  INFO(crashed.dump());
  CHECK(crashed["error"]["code"] == -32603);
  CHECK_THAT(crashed["error"]["message"].get<std::string>(),
             Catch::Contains("exited with status 7") && Catch::Contains("dying now") &&
                 Catch::Contains("server.sh"));
  CHECK(call(bob, "who")["result"]["content"][0]["text"] == bob_pid);  // untouched

  // Alice's next call starts a fresh child, re-initialised from the store.
  const std::string fresh = call(alice, "who")["result"]["content"][0]["text"];
  CHECK(fresh != alice_pid);
  CHECK(fixture.gateway->stats().crashes == 1);
  CHECK(fixture.gateway->stats().reinitializations == 1);
}

TEST_CASE("gateway: in shared mode one child serves every session, ids kept apart") {
  GatewayOptions options;
  options.shared = true;
  GatewayFixture fixture(options);
  auto alice = fixture.client();
  auto bob = fixture.client();
  alice.initialize();
  CHECK(bob.initialize().response(1)["result"]["serverInfo"]["name"] == "sh-fixture");
  CHECK(alice.session_id != bob.session_id);
  // Both clients use id 2 for their call: the child sees two different ids.
  const json a = call(alice, "who");
  const json b = call(bob, "who");
  CHECK(a["id"] == 2);
  CHECK(b["id"] == 2);
  CHECK(a["result"] == b["result"]);  // the same child
  CHECK(fixture.gateway->stats().running == 1);
  CHECK(fixture.gateway->stats().starts == 1);

  // Its crash is every session's; the next call starts one child again.
  CHECK(call(alice, "crash")["error"]["code"] == -32603);
  const json again = call(bob, "who");
  CHECK(again["result"] != b["result"]);
  CHECK(call(alice, "who")["result"] == again["result"]);
  CHECK(fixture.gateway->stats().starts == 2);
}

TEST_CASE("gateway: a fresh upstream with other capabilities is announced with list_changed, metrics and health") {
  // The first child offers tools; every later one prompts too.
  mcpkeep::test::TempDir scripts;
  const std::string marker = scripts.file("started-once");
  const std::string script = scripts.file("changing.sh");
  std::ofstream(script) << "if [ -e '" << marker << "' ]; then caps='\"tools\":{},\"prompts\":{}'; "
                        << "else caps='\"tools\":{}'; touch '" << marker << "'; fi\n"
                        << "while IFS= read -r line; do\n"
                        << "  id=${line#'{\"id\":'}; id=${id%%,*}\n"
                        << "  case \"$line\" in\n"
                        << "    '{\"id\":'*'\"name\":\"crash\"'*) exit 9 ;;\n"
                        << "    '{\"id\":'*'\"method\":\"initialize\"'*) printf '{\"jsonrpc\":\"2.0\",\"id\":%s,"
                        << "\"result\":{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{%s},"
                        << "\"serverInfo\":{\"name\":\"changing\",\"version\":\"1\"}}}\\n' \"$id\" \"$caps\" ;;\n"
                        << "    '{\"id\":'*) printf '{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":{}}\\n' \"$id\" ;;\n"
                        << "  esac\n"
                        << "done\n";
  GatewayOptions options;
  options.command.argv = {"/bin/sh", script};
  GatewayFixture fixture(options);
  auto client = fixture.client();
  client.initialize();
  const auto methods = [&] {
    std::vector<std::string> seen;
    for (const auto& event : fixture.store.events(client.session_id)) {
      const json message = json::parse(event.data);
      if (message.contains("method")) seen.push_back(message["method"]);
    }
    return seen;
  };
  CHECK(methods().empty());
  CHECK(call(client, "crash")["error"]["code"] == -32603);
  CHECK(call(client, "who")["result"] == json::object());  // a fresh child, with prompts
  CHECK(methods() == std::vector<std::string>{"notifications/prompts/list_changed"});
  CHECK(json::parse(fixture.store.upstreamState(client.session_id)->initialize_result)["capabilities"]
            .contains("prompts"));

  const std::string metrics = page(fixture.http->port(), "/metrics");
  CHECK(mcpkeep::test::statusOf(metrics) == 200);
  CHECK_THAT(metrics, Catch::Contains("\nmcpkeep_upstreams_running 1\n") &&
                          Catch::Contains("\nmcpkeep_upstream_crashes_total 1\n") &&
                          Catch::Contains("\nmcpkeep_upstream_reinitializations_total 1\n") &&
                          Catch::Contains("mcpkeep_upstream_request_seconds_count "));
  CHECK(mcpkeep::test::statusOf(page(fixture.http->port(), "/healthz")) == 200);
}

TEST_CASE("gateway: /healthz is 503 naming the upstream while it cannot start") {
  GatewayOptions options;
  options.command.argv = {"/bin/sh", "-c", "echo 'no config' >&2; exit 2"};
  GatewayFixture fixture(options);
  CHECK(fixture.client().post(kInitialize).status == 503);
  const std::string health = page(fixture.http->port(), "/healthz");
  CHECK(mcpkeep::test::statusOf(health) == 503);
  CHECK_THAT(mcpkeep::test::bodyOf(health), Catch::Contains("exited with status 2: no config"));
}

TEST_CASE("gateway: an upstream that cannot serve is named with the reason") {
  CHECK_THAT(probeFailure({"no-such-mcp-server"}),
             Catch::Contains("cannot start 'no-such-mcp-server'") && Catch::Contains("No such file"));
  CHECK_THAT(probeFailure({"/bin/sh", "-c", "echo oops >&2; exit 3"}),
             Catch::Contains("exited with status 3") && Catch::Contains("oops"));
  CHECK_THAT(probeFailure({"/bin/sh", "-c", "echo garbage; exec sleep 30"}),
             Catch::Contains("did not answer initialize within 500 ms") && Catch::Contains("garbage"));
  CHECK_THAT(probeFailure({"/bin/sh", "-c", "exec sleep 30"}),
             Catch::Contains("did not answer initialize within 500 ms"));
  CHECK_THAT(probeFailure({"/bin/sh", "-c", R"(read line; echo '{"jsonrpc":"2.0","id":99,"result":{}}'; exec sleep 30)"}),
             Catch::Contains("it answered id 99, which no request has"));
}

TEST_CASE("gateway: an initialize the upstream cannot serve gets 503 naming it, the server goes on") {
  GatewayOptions options;
  options.command.argv = {"/bin/sh", "-c", "exit 4"};
  GatewayFixture fixture(options);
  auto client = fixture.client();
  const auto reply = client.post(kInitialize);
  CHECK(reply.status == 503);
  CHECK_THAT(reply.body, Catch::Contains("exited with status 4"));
  CHECK(fixture.store.sessionCount() == 0);
  CHECK(fixture.gateway->unavailable());
  CHECK(client.send("GET", "", {}).status != 0);  // still answering
}

TEST_CASE("gateway: --max-upstreams refuses one more with 503, an idle child stops and comes back") {
  GatewayOptions options;
  options.max_upstreams = 1;
  options.idle = std::chrono::milliseconds(300);
  GatewayFixture fixture(options);
  auto alice = fixture.client();
  alice.initialize();
  auto bob = fixture.client();
  const auto refused = bob.post(kInitialize);
  CHECK(refused.status == 503);
  CHECK_THAT(refused.body, Catch::Contains("--max-upstreams"));

  REQUIRE(eventually([&] { return fixture.gateway->stats().running == 0; }));
  CHECK_THAT(call(alice, "who")["result"]["content"][0]["text"].get<std::string>(), Catch::StartsWith("pid "));
  CHECK(fixture.gateway->stats().reinitializations == 1);
}

TEST_CASE("gateway: deleting a session stops its child, the stored state goes with it") {
  GatewayFixture fixture;
  auto client = fixture.client();
  client.initialize();
  REQUIRE(fixture.store.upstreamState(client.session_id));
  CHECK(json::parse(fixture.store.upstreamState(client.session_id)->initialize_params)["clientInfo"].is_object());
  REQUIRE(fixture.gateway->stats().running == 1);
  CHECK(client.send("DELETE", "", client.standardHeaders()).status == 200);
  CHECK(eventually([&] { return fixture.gateway->stats().running == 0; }));
  CHECK_FALSE(fixture.store.upstreamState(client.session_id));
}

TEST_CASE("store: a kept request lives while its stream is open, upstream state goes with its session") {
  mcpkeep::test::TempDir dir;
  mcpkeep::Store store(dir.file("kept.db"), mcpkeep::test::testOptions());
  const std::string session = store.createSession().id;
  store.setUpstreamState(session, {R"({"clientInfo":{"name":"c"}})", R"({"serverInfo":{"name":"s"}})", "info", ""});
  CHECK_THROWS_AS(store.setUpstreamState(session, {"not json", "{}", "", ""}), mcpkeep::Error);
  CHECK(store.upstreamState(session)->log_level == "info");

  const auto open = store.openRequestStream(session, "[1]");
  const auto closed = store.openRequestStream(session, "[2]");
  store.keepRequest(session, open, R"({"id":1,"method":"tools/call"})");
  store.keepRequest(session, closed, R"({"id":2,"method":"tools/call"})");
  CHECK_THROWS_AS(store.keepRequest("someone-else", open, "{}"), mcpkeep::Error);
  store.closeStream(session, closed);
  const auto kept = store.keptRequests();
  REQUIRE(kept.size() == 1);
  CHECK(kept[0].first.id == open);
  CHECK(json::parse(kept[0].second)["id"] == 1);

  CHECK(store.removeSession(session));
  CHECK_FALSE(store.upstreamState(session));
  CHECK(store.keptRequests().empty());
}

TEST_CASE("gateway: an upstream command line is split like a shell would, without one") {
  using mcpkeep::gateway::splitCommandLine;
  using Args = std::vector<std::string>;
  CHECK(splitCommandLine("npx -y @scope/server  --flag") == Args{"npx", "-y", "@scope/server", "--flag"});
  CHECK(splitCommandLine(R"(uv run 'my server.py' "a \"b\" \$c" back\ slash)") ==
        Args{"uv", "run", "my server.py", "a \"b\" $c", "back slash"});
  CHECK(splitCommandLine(R"(["node", "server with spaces.js", "--x=$HOME"])") ==
        Args{"node", "server with spaces.js", "--x=$HOME"});
  CHECK_THROWS_WITH(splitCommandLine("python 'open"), Catch::Contains("unterminated '"));
  CHECK_THROWS_WITH(splitCommandLine("  "), Catch::Contains("empty"));
  CHECK_THROWS_WITH(splitCommandLine(R"(["node", 1])"), Catch::Contains("strings only"));
}

TEST_CASE("gateway: serve refuses gateway flags it cannot use, and a command that cannot start") {
  using mcpkeep::test::runCommand;
  mcpkeep::test::TempDir dir;
  const std::string serve = "'" MCPKEEP_BINARY "' serve --listen 127.0.0.1:0 --db '" + dir.file("s.db") + "' ";
  CHECK(runCommand(serve + "--upstream-env A=1").exit_code == 2);
  CHECK(runCommand(serve + "--upstream-command x --upstream-url http://127.0.0.1:1/mcp").exit_code == 2);
  CHECK(runCommand(serve + "--upstream-command \"'open\"").exit_code == 2);
  CHECK(runCommand(serve + "--upstream-url http://127.0.0.1:1/mcp --upstream-header nocolon").exit_code == 2);
  // Accepted with a command (exit 1: it cannot start), refused without (2).
  CHECK(runCommand(serve + "--upstream-command no-such-mcp-server --upstream-mode shared --upstream-env A=1 "
                           "--upstream-env B=2 --upstream-cwd /tmp --max-upstreams 3 --upstream-idle 1 "
                           "--upstream-timeout 1 --retry-idempotent").exit_code == 1);
  CHECK(runCommand(serve + "--upstream-mode shared").exit_code == 2);
  CHECK(runCommand(serve + "--upstream-command x --upstream-mode sometimes").exit_code == 2);
  const auto missing = runCommand(serve + "--upstream-command no-such-mcp-server 2>&1");
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.output, Catch::Contains("cannot start 'no-such-mcp-server'"));
  const auto unreachable = runCommand(serve + "--upstream-url http://127.0.0.1:1/mcp 2>&1");
  CHECK(unreachable.exit_code == 1);
  CHECK_THAT(unreachable.output, Catch::Contains("cannot reach upstream 'http://127.0.0.1:1/mcp'"));
}

TEST_CASE("gateway: a disk that fails at initialize gets 503 and leaves no child running") {
  mcpkeep::test::FaultyVfs faults;  // before the store: its connections go through it
  GatewayFixture fixture;
  auto client = fixture.client();
  faults.failAll(mcpkeep::test::FaultyVfs::Op::kWrite, SQLITE_FULL);
  const auto reply = client.post(kInitialize);
  faults.clear();
  INFO(reply.body);
  CHECK(reply.status == 503);
  CHECK(eventually([&] { return fixture.gateway->stats().running == 0; }));
  CHECK(fixture.store.sessionCount() == 0);
  CHECK(client.initialize().status == 200);  // and it recovers
}
