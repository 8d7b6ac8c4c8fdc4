// GET /healthz, /healthz/live and /metrics: what an operator's probes and
// Prometheus read.
#include <catch2/catch.hpp>

#include <regex>
#include <set>
#include <sstream>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include "helpers/server_fixture.h"

using nlohmann::json;
using mcpkeep::test::McpClient;
using mcpkeep::test::ServerFixture;

namespace {

// "name{labels}" -> value, for every sample of an exposition; fails on a
// line that is neither a comment nor a sample of a declared metric.
std::map<std::string, double> samples(const std::string& text) {
  std::map<std::string, double> values;
  std::set<std::string> declared;
  std::istringstream in(text);
  std::string line;
  const std::regex type_line("# TYPE ([a-z_]+) (counter|gauge|histogram)");
  const std::regex sample_line("([a-z_]+)(\\{[^}]*\\})? (-?[0-9.e+-]+)");
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_match(line, m, type_line)) {
      declared.insert(m[1]);
    } else if (line.rfind("# HELP ", 0) == 0) {
      continue;
    } else {
      INFO(line);
      REQUIRE(std::regex_match(line, m, sample_line));
      const std::string name = m[1];
      const std::string family = std::regex_replace(name, std::regex("_(bucket|sum|count)$"), "");
      CHECK((declared.count(name) || declared.count(family)));
      values[name + m[2].str()] = std::stod(m[3]);
    }
  }
  return values;
}

struct Page {
  int status;
  std::string content_type;
  std::string body;
};

// GET `path` on the server (outside the MCP endpoint).
Page fetch(uint16_t port, const std::string& path) {
  Poco::Net::HTTPClientSession session("127.0.0.1", port);
  Poco::Net::HTTPRequest request("GET", path);
  session.sendRequest(request);
  Poco::Net::HTTPResponse response;
  Page page;
  Poco::StreamCopier::copyToString(session.receiveResponse(response), page.body);
  page.status = response.getStatus();
  page.content_type = response.getContentType();
  return page;
}

}  // namespace

TEST_CASE("/healthz answers ready with a database check and /healthz/live answers alive") {
  ServerFixture server;
  const Page ready = fetch(server.http.port(), "/healthz");
  CHECK(ready.status == 200);
  CHECK(json::parse(ready.body) == json({{"status", "ok"}, {"database", "ok"}}));
  const Page live = fetch(server.http.port(), "/healthz/live");
  CHECK(live.status == 200);
  CHECK(json::parse(live.body)["status"] == "ok");
}

TEST_CASE("/metrics counts requests, sessions, events, replays and commits in Prometheus format") {
  ServerFixture server;
  McpClient client = server.client();
  client.initialize();
  const auto call = client.post({{"jsonrpc", "2.0"}, {"id", 7}, {"method", "tools/call"},
                                 {"params", {{"name", "progress"}, {"arguments", {{"steps", 3}}},
                                             {"_meta", {{"progressToken", "p"}}}}}});
  REQUIRE(call.events.size() >= 5);  // priming, 3 progress, the response
  const auto resumed = client.get({{"Last-Event-ID", call.events[1].id}}, SIZE_MAX);
  REQUIRE(resumed.status == 200);
  REQUIRE(client.send("DELETE", "", client.standardHeaders()).status == 200);

  const Page page = fetch(server.http.port(), "/metrics");
  REQUIRE(page.status == 200);
  CHECK(page.content_type == "text/plain; version=0.0.4");
  const auto m = samples(page.body);
  INFO(page.body);
  CHECK(m.at("mcpkeep_sessions_created_total") == 1);
  CHECK(m.at("mcpkeep_sessions_deleted_total") == 1);
  CHECK(m.at("mcpkeep_sessions") == 0);
  CHECK(m.at("mcpkeep_rpc_requests_total{method=\"initialize\"}") == 1);
  CHECK(m.at("mcpkeep_rpc_requests_total{method=\"tools/call\"}") == 1);
  CHECK(m.at("mcpkeep_http_requests_total{method=\"POST\",status=\"200\"}") == 2);
  CHECK(m.at("mcpkeep_http_requests_total{method=\"POST\",status=\"202\"}") == 1);  // initialized
  CHECK(m.at("mcpkeep_http_requests_total{method=\"GET\",status=\"200\"}") == 1);
  CHECK(m.at("mcpkeep_replays_total") == 1);
  CHECK(m.at("mcpkeep_events_replayed_total") == static_cast<double>(resumed.events.size()));
  CHECK(m.at("mcpkeep_events_appended_total") >= 5);  // initialize's answer, 3 progress, the result
  CHECK(m.at("mcpkeep_sse_streams_open") == 0);
  CHECK(m.at("mcpkeep_sse_streams_parked") == 0);
  CHECK(m.at("mcpkeep_commits_total") >= 1);
  CHECK(m.at("mcpkeep_commit_seconds_count") == m.at("mcpkeep_commits_total"));
  CHECK(m.at("mcpkeep_commit_seconds_bucket{le=\"+Inf\"}") == m.at("mcpkeep_commits_total"));
  CHECK(m.at("mcpkeep_commit_batch_size_sum") >= m.at("mcpkeep_commits_total"));
  CHECK(m.at("mcpkeep_database_bytes") > 0);
  CHECK(m.count("mcpkeep_wal_bytes") == 1);
}
