// Resuming with Last-Event-ID over HTTP, the security guards, SSE framing.
#include <catch2/catch.hpp>

#include <sstream>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>

#include "helpers/server_fixture.h"
#include "http/request_guards.h"
#include "http/sse.h"

using nlohmann::json;
using mcpkeep::test::McpClient;
using mcpkeep::test::ServerFixture;

namespace {

// Calls the progress tool and returns the events of its POST stream.
std::vector<mcpkeep::test::SseEvent> progressStream(McpClient& client, int steps) {
  return client.post({{"jsonrpc", "2.0"}, {"id", 100}, {"method", "tools/call"},
                      {"params", {{"name", "progress"}, {"arguments", {{"steps", steps}}},
                                  {"_meta", {{"progressToken", 1}}}}}})
      .events;
}

}  // namespace

TEST_CASE("GET with Last-Event-ID replays exactly the events after it, of that stream only") {
  ServerFixture server;
  McpClient client = server.client();
  client.initialize();
  const auto events = progressStream(client, 5);  // priming, 5 progress, response
  REQUIRE(events.size() == 7);
  client.request("tools/call", {{"name", "echo"}, {"arguments", {{"message", "other stream"}}}});

  const auto resumed = client.get({{"Last-Event-ID", events[2].id}}, SIZE_MAX);
  CHECK(resumed.status == 200);
  REQUIRE(resumed.events.size() == 4);  // progress 3, 4, 5 and the response
  for (std::size_t i = 0; i < 4; ++i) {
    CHECK(resumed.events[i].id == events[3 + i].id);
    CHECK(resumed.events[i].data == events[3 + i].data);
  }
  CHECK(resumed.header("Mcp-Replay-Gap").empty());
  // From the priming id: the whole stream.
  CHECK(client.get({{"Last-Event-ID", events[0].id}}, SIZE_MAX).events.size() == 6);
  // After its last event: the stream has ended and nothing is left.
  const auto done = client.get({{"Last-Event-ID", events.back().id}}, SIZE_MAX);
  CHECK(done.status == 204);
  CHECK(done.body.empty());
}

TEST_CASE("a malformed or foreign Last-Event-ID gets 400 and no data") {
  ServerFixture server;
  McpClient alice = server.client();
  alice.initialize();
  const auto alices = progressStream(alice, 2);
  McpClient bob = server.client();
  bob.initialize();

  const auto foreign = bob.get({{"Last-Event-ID", alices[1].id}}, SIZE_MAX);
  CHECK(foreign.status == 400);
  CHECK(foreign.body.find("progress") == std::string::npos);
  CHECK(bob.get({{"Last-Event-ID", "garbage"}}, SIZE_MAX).status == 400);
  CHECK(bob.get({{"Last-Event-ID", "99999-1"}}, SIZE_MAX).status == 400);
  CHECK(bob.get({{"Last-Event-ID", "-1"}}, SIZE_MAX).status == 400);
}

TEST_CASE("a resume across evicted events says so in a header and a gap event") {
  mcpkeep::StoreOptions store_options = mcpkeep::test::testOptions();
  store_options.retention = mcpkeep::Retention().withMaxEvents(3);
  ServerFixture server(mcpkeep::test::testHttpOptions(), store_options);
  McpClient client = server.client();
  client.initialize();
  // Only the last 3 events are kept, so the POST stream itself may show a
  // gap; its priming id is the one id certain to be older than retention.
  const auto events = progressStream(client, 6);
  REQUIRE(events.size() >= 2);
  REQUIRE(events[0].data.empty());  // the priming event: <stream>-0
  REQUIRE(events[0].id.size() > 2);
  REQUIRE(events[0].id.substr(events[0].id.size() - 2) == "-0");
  const auto resumed = client.get({{"Last-Event-ID", events[0].id}}, SIZE_MAX);
  CHECK(resumed.status == 200);
  CHECK(resumed.header("Mcp-Replay-Gap") == "true");
  REQUIRE(resumed.events.size() == 4);
  CHECK(resumed.events[0].type == "mcpkeep-gap");
  CHECK(resumed.events[0].id.empty());  // the client's Last-Event-ID stays put
  CHECK(json::parse(resumed.events.back().data)["id"] == 100);
}

TEST_CASE("Host and Origin are checked against DNS rebinding") {
  ServerFixture server;
  McpClient client = server.client();
  const json init = {{"jsonrpc", "2.0"}, {"id", 1}, {"method", "initialize"},
                     {"params", {{"protocolVersion", "2025-11-25"}, {"capabilities", json::object()},
                                 {"clientInfo", {{"name", "t"}, {"version", "1"}}}}}};
  CHECK(client.post(init, {{"Host", "evil.example.com"}}).status == 403);
  CHECK(client.post(init, {{"Origin", "http://evil.example.com"}}).status == 403);
  CHECK(client.post(init, {{"Origin", "null"}}).status == 403);
  CHECK(client.post(init, {{"Origin", "http://localhost:3000"}}).status == 200);
  CHECK(client.post(init, {{"Host", "localhost:1234"}, {"Origin", "http://127.0.0.1"}}).status == 200);
  CHECK(server.store.sessionCount() == 2);  // the refused ones made none
}

TEST_CASE("configured origins are allowed and a bearer token is required when set") {
  mcpkeep::HttpOptions options = mcpkeep::test::testHttpOptions();
  options.allowed_origins = {"https://app.example.com"};
  options.auth_token = "s3cret-token";
  ServerFixture server(options);
  McpClient client = server.client();
  const json ping = {{"jsonrpc", "2.0"}, {"id", 1}, {"method", "initialize"},
                     {"params", {{"protocolVersion", "2025-11-25"}}}};
  const auto no_token = client.post(ping);
  CHECK(no_token.status == 401);
  CHECK(no_token.header("WWW-Authenticate") == "Bearer");
  client.auth_token = "s3cret-tokeX";
  CHECK(client.post(ping).status == 401);
  client.auth_token = "s3cret-token";
  CHECK(client.post(ping, {{"Origin", "https://app.example.com"}}).status == 200);
  CHECK(client.post(ping, {{"Origin", "https://other.example.com"}}).status == 403);

  CHECK(mcpkeep::http::constantTimeEquals("abc", "abc"));
  CHECK_FALSE(mcpkeep::http::constantTimeEquals("abc", "abd"));
  CHECK_FALSE(mcpkeep::http::constantTimeEquals("abc", "abcd"));
  CHECK_FALSE(mcpkeep::http::constantTimeEquals("", "a"));
}

TEST_CASE("other paths get 404") {
  ServerFixture server;
  McpClient client = server.client();
  mcpkeep::test::HttpReply reply;
  Poco::Net::HTTPClientSession session("127.0.0.1", server.http.port());
  Poco::Net::HTTPRequest request("GET", "/elsewhere", Poco::Net::HTTPMessage::HTTP_1_1);
  session.sendRequest(request);
  Poco::Net::HTTPResponse response;
  session.receiveResponse(response);
  CHECK(response.getStatus() == 404);
}

TEST_CASE("SSE framing splits data on every line ending and round-trips") {
  std::string out;
  mcpkeep::http::appendSseEvent(out, "3-7", "message", "one\ntwo\r\nthree\rfour");
  CHECK(out == "id: 3-7\ndata: one\ndata: two\ndata: three\ndata: four\n\n");
  const auto events = mcpkeep::test::parseSse(out);
  REQUIRE(events.size() == 1);
  CHECK(events[0].id == "3-7");
  CHECK(events[0].data == "one\ntwo\nthree\nfour");

  std::string priming;
  mcpkeep::http::appendSsePriming(priming, "3-0", std::chrono::milliseconds(1500));
  CHECK(priming == "id: 3-0\nretry: 1500\ndata: \n\n");
  const auto primed = mcpkeep::test::parseSse(priming);
  REQUIRE(primed.size() == 1);
  CHECK(primed[0].retry == 1500);
  CHECK(primed[0].data.empty());
  std::string typed;
  mcpkeep::http::appendSseEvent(typed, "", "mcpkeep-gap", "{}");
  CHECK(typed == "event: mcpkeep-gap\ndata: {}\n\n");
}
