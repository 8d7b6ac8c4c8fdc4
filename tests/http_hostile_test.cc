// A corpus of hostile requests: each gets a clear error (an HTTP status and,
// where the request got as far as MCP, a JSON-RPC error), the server stays
// up, and no other session is touched.
#include <catch2/catch.hpp>

#include "helpers/raw_http.h"
#include "helpers/server_fixture.h"

using nlohmann::json;
using mcpkeep::test::HttpReply;
using mcpkeep::test::McpClient;
using mcpkeep::test::RawHttp;
using mcpkeep::test::ServerFixture;
using mcpkeep::test::statusOf;

namespace {

struct Case {
  std::string name;
  std::string body;                          // POSTed with the session's headers
  std::map<std::string, std::string> extra;  // header changes
  int status;
  int rpc_code;  // in the JSON body, or in the SSE response; 0: no check
};

// The JSON-RPC error code of a reply: its JSON body's, or its SSE response's.
int rpcCode(const HttpReply& reply) {
  json message = json::parse(reply.body, nullptr, false);
  if (!reply.events.empty()) {
    for (const auto& e : reply.events) {
      const json m = json::parse(e.data, nullptr, false);
      if (m.is_object() && m.contains("error")) message = m;
    }
  }
  if (!message.is_object() || !message.contains("error")) return 0;
  return message["error"]["code"].get<int>();
}

std::string ping(const std::string& id_json) {
  return R"({"jsonrpc":"2.0","id":)" + id_json + R"(,"method":"ping"})";
}

}  // namespace

TEST_CASE("hostile requests each get a clear error, the server stays up, other sessions are untouched") {
  ServerFixture server;
  McpClient bystander = server.client();
  bystander.initialize();
  const json echoed = bystander.request("tools/call", {{"name", "echo"}, {"arguments", {{"message", "mine"}}}});
  REQUIRE(echoed["result"]["content"][0]["text"] == "mine");
  const int64_t bystander_events = server.store.eventCount(bystander.session_id);
  const int64_t bystander_last_seq = server.store.session(bystander.session_id)->last_seq;

  McpClient attacker = server.client();
  attacker.initialize();

  const std::string deep_arrays = std::string(100000, '[') + std::string(100000, ']');
  std::string deep_objects;
  for (int i = 0; i < 100000; ++i) deep_objects += R"({"a":)";
  deep_objects += "1" + std::string(100000, '}');
  const std::string deep_params = R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":)" +
                                  std::string(10000, '[') + std::string(10000, ']') + "}}";

  const std::vector<Case> cases = {
      {"malformed JSON", R"({"jsonrpc": "2.0", "id": 1, "method": ping})", {}, 400, -32700},
      {"truncated JSON", R"({"jsonrpc":"2.0","id":1,"method":"pi)", {}, 400, -32700},
      {"empty body", "", {}, 400, -32700},
      {"NUL inside", std::string(R"({"jsonrpc":"2.0","id":1,"method":"ping")") + '\0' + "}", {}, 400, -32700},
      {"arrays nested 100000 deep", deep_arrays, {}, 400, -32700},
      {"objects nested 100000 deep", deep_objects, {}, 400, -32700},
      {"tool arguments nested 10000 deep", deep_params, {}, 400, -32700},
      {"invalid UTF-8 in a string", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":{\"x\":\"\xff\xfe\"}}", {}, 400, -32700},
      {"a lone surrogate escape", R"({"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"\ud800"}})", {}, 400, -32700},
      {"jsonrpc 1.0", R"({"jsonrpc":"1.0","id":1,"method":"ping"})", {}, 400, -32600},
      {"jsonrpc missing", R"({"id":1,"method":"ping"})", {}, 400, -32600},
      {"method a number", R"({"jsonrpc":"2.0","id":1,"method":5})", {}, 400, -32600},
      {"method empty", R"({"jsonrpc":"2.0","id":1,"method":""})", {}, 400, -32600},
      {"id an object", ping(R"({"a":1})"), {}, 400, -32600},
      {"id a fraction", ping("1.5"), {}, 400, -32600},
      {"id too large for an integer", ping("123456789012345678901234567890"), {}, 400, -32600},
      {"id overflowing a double", ping("1e400"), {}, 400, -32700},
      {"id a 100 KB string", ping("\"" + std::string(100000, 'x') + "\""), {}, 400, -32600},
      {"a message that is a string", R"("ping")", {}, 400, -32600},
      {"params a string", R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":"echo"})", {}, 200, -32602},
      {"tool name a number", R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":5}})", {}, 200, -32602},
      {"unknown method", R"({"jsonrpc":"2.0","id":1,"method":"no/such/method"})", {}, 200, -32601},
      {"a response to a request never sent", R"({"jsonrpc":"2.0","id":"never-sent","result":{}})", {}, 202, 0},
      {"an error response to a request never sent", R"({"jsonrpc":"2.0","id":77,"error":{"code":1,"message":"x"}})", {}, 202, 0},
      {"initialize again in the session", R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{}})", {}, 400, 0},
      {"body over the limit", ping("\"" + std::string(5 << 20, 'x') + "\""), {}, 413, -32000},
      {"Content-Type text/plain", ping("1"), {{"Content-Type", "text/plain"}}, 415, -32000},
      {"Accept without SSE", ping("1"), {{"Accept", "application/json"}}, 406, -32000},
      {"session id of another length", ping("1"), {{"Mcp-Session-Id", std::string(200, 'a')}}, 400, -32000},
      {"session id with a space", ping("1"), {{"Mcp-Session-Id", "a b"}}, 400, -32000},
      {"session id unknown", ping("1"), {{"Mcp-Session-Id", std::string(32, 'f')}}, 404, -32001},
      {"protocol version unknown", ping("1"), {{"MCP-Protocol-Version", "1999-01-01"}}, 400, -32000},
      {"Host not loopback", ping("1"), {{"Host", "evil.example"}}, 403, -32000},
      {"Origin not allowed", ping("1"), {{"Origin", "https://evil.example"}}, 403, -32000},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    auto headers = attacker.standardHeaders();
    for (const auto& [name, value] : c.extra) headers[name] = value;
    const HttpReply reply = attacker.send("POST", c.body, headers);
    CHECK(reply.status == c.status);
    if (c.rpc_code != 0) CHECK(rpcCode(reply) == c.rpc_code);
    // Still up.
    CHECK(attacker.request("ping").contains("result"));
  }

  // Last-Event-IDs: huge, negative, malformed, of another session.
  for (const std::string& id : {std::string(1000, '9'), std::string("9223372036854775808-1"),
                                std::string("-5"), std::string("1--1"), std::string("1-01"),
                                std::string("abc"), std::string(" 1-1")}) {
    INFO("Last-Event-ID " << id);
    const HttpReply reply = attacker.get({{"Last-Event-ID", id}}, SIZE_MAX);
    CHECK(reply.status == 400);
    CHECK(reply.events.empty());
  }

  // Framing no client library would produce, on raw connections.
  const std::string session_header = "Mcp-Session-Id: " + attacker.session_id + "\r\n";
  struct RawCase {
    std::string name;
    std::string bytes;
    int status;
  };
  const std::vector<RawCase> raw = {
      {"a garbage request line", "FOO\r\n\r\n", 400},
      // Found by fuzz_http_request: answered 500 before.
      {"no Host header", "GET /mcp HTTP/1.1\r\nAccept: text/event-stream\r\n\r\n", 400},
      {"a bare CR inside a header value",
       "GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nMcp-Session-Id: " +
           attacker.session_id + "\rX-Injected: 1\r\n\r\n", 400},
      {"a bare CR inside Last-Event-ID",
       "GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n" + session_header +
           "Last-Event-ID: 1-1\rX: y\r\n\r\n", 400},
      {"a bad chunk size",
       "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
       "Accept: application/json, text/event-stream\r\n" + session_header +
           "Transfer-Encoding: chunked\r\n\r\nZZZ\r\n{}\r\n0\r\n\r\n", 400},
      // Poco skips the line; the request then lacks its Accept header.
      {"a header line without a colon", "GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nnocolon\r\n\r\n", 406},
  };
  for (const RawCase& c : raw) {
    INFO(c.name);
    RawHttp connection(server.http.port());
    connection.send(c.bytes);
    const std::string reply = connection.readResponse(std::chrono::seconds(10));
    CHECK(statusOf(reply) == c.status);
    CHECK(attacker.request("ping").contains("result"));
  }

  // The bystander's session is as it was.
  CHECK(server.store.eventCount(bystander.session_id) == bystander_events);
  CHECK(server.store.session(bystander.session_id)->last_seq == bystander_last_seq);
  const json again = bystander.request("tools/call", {{"name", "echo"}, {"arguments", {{"message", "still mine"}}}});
  CHECK(again["result"]["content"][0]["text"] == "still mine");
}
