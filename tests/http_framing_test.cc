// HTTP framing on raw connections: a response sent before the request's
// body was read never leaves that body to be read as the next request
// (request smuggling past the Host, Origin and token checks); ambiguous
// framing and repeated identity headers are refused; pipelined requests are
// answered once each, in order.
#include <algorithm>

#include <catch2/catch.hpp>

#include "helpers/raw_http.h"
#include "helpers/server_fixture.h"

using nlohmann::json;
using mcpkeep::test::McpClient;
using mcpkeep::test::RawHttp;
using mcpkeep::test::ServerFixture;
using mcpkeep::test::bodyOf;
using mcpkeep::test::statusOf;

namespace {

constexpr const char* kToken = "s3cret";

using Headers = std::vector<std::pair<std::string, std::string>>;

std::string chunked(const std::string& data) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx", data.size());
  return std::string(size) + "\r\n" + data + "\r\n0\r\n\r\n";
}

// A request as bytes: request line, Host (unless `headers` has one), the
// headers, and the body with Content-Length, or chunked.
std::string rawRequest(const std::string& method, const std::string& path, const Headers& headers,
                       const std::string& body = "", bool chunk = false) {
  std::string out = method + " " + path + " HTTP/1.1\r\n";
  bool has_host = false;
  for (const auto& [name, value] : headers) {
    out += name + ": " + value + "\r\n";
    has_host = has_host || name == "Host";
  }
  if (!has_host) out = out.insert(out.find("\r\n") + 2, "Host: 127.0.0.1\r\n");
  if (chunk) return out + "Transfer-Encoding: chunked\r\n\r\n" + chunked(body);
  if (!body.empty()) out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  return out + "\r\n" + body;
}

const std::string kInitialize =
    R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25",)"
    R"("capabilities":{},"clientInfo":{"name":"smuggled","version":"1"}}})";

// What a rebinding page would hide in a body: a complete request that
// passes every check (loopback Host, no Origin, the token) and creates a
// session if it ever runs.
const std::string kSmuggled =
    rawRequest("POST", "/mcp",
               {{"Content-Type", "application/json"}, {"Accept", "application/json, text/event-stream"},
                {"Authorization", std::string("Bearer ") + kToken}},
               kInitialize);

bool closes(const std::string& response) {
  const std::string head = response.substr(0, response.find("\r\n\r\n"));
  return head.find("Connection: Close") != std::string::npos || head.find("Connection: close") != std::string::npos;
}

std::string header(const std::string& response, const std::string& name) {
  const std::string head = response.substr(0, response.find("\r\n\r\n") + 2);
  const auto at = head.find("\r\n" + name + ": ");
  if (at == std::string::npos) return std::string();
  const auto start = at + 4 + name.size();
  return head.substr(start, head.find("\r\n", start) - start);
}

// What a well-behaved client sends in a session.
Headers mcpHeaders(const std::string& session_id) {
  return {{"Content-Type", "application/json"},
          {"Accept", "application/json, text/event-stream"},
          {"Authorization", std::string("Bearer ") + kToken},
          {"Mcp-Session-Id", session_id}};
}

struct Served : ServerFixture {
  static mcpkeep::HttpOptions options() {
    mcpkeep::HttpOptions o = mcpkeep::test::testHttpOptions();
    o.auth_token = kToken;
    o.max_streams_per_session = 1;
    o.max_header_bytes = 4096;
    o.max_body_bytes = 16384;
    return o;
  }
  Served() : ServerFixture(options()) {
    client.auth_token = kToken;
    client.initialize();
  }
  McpClient client = McpClient(http.port());
};

}  // namespace

TEST_CASE("a request answered before its body is read never runs the body as a request") {
  Served server;
  const std::string sid = server.client.session_id;
  const Headers mcp = {{"Content-Type", "application/json"},
                       {"Accept", "application/json, text/event-stream"},
                       {"Authorization", std::string("Bearer ") + kToken}};
  const auto with = [](Headers h, const Headers& changes) {  // replaces or adds
    for (const auto& change : changes) {
      const auto same = std::find_if(h.begin(), h.end(), [&](const auto& f) { return f.first == change.first; });
      if (same == h.end()) h.push_back(change); else *same = change;
    }
    return h;
  };
  const Headers get = {{"Accept", "text/event-stream"}, {"Authorization", std::string("Bearer ") + kToken}};
  const Headers get_session = with(get, {{"Mcp-Session-Id", sid}});

  // The one open stream the session may have: the next GET is 429.
  RawHttp holder(server.http.port());
  holder.send(rawRequest("GET", "/mcp", get_session));
  REQUIRE(statusOf(holder.readHead()) == 200);

  struct Case {
    std::string name;
    std::string method, path;
    Headers headers;
    int status;
  };
  const std::vector<Case> cases = {
      {"Host not loopback (403)", "POST", "/mcp", with(mcp, {{"Host", "rebound.example"}}), 403},
      {"Origin not allowed (403)", "POST", "/mcp", with(mcp, {{"Origin", "https://evil.example"}}), 403},
      {"no bearer token (401)", "POST", "/mcp",
       {{"Content-Type", "application/json"}, {"Accept", "application/json, text/event-stream"}}, 401},
      {"another path (404)", "POST", "/elsewhere", mcp, 404},
      {"a method not allowed (405)", "PUT", "/mcp", mcp, 405},
      {"Accept without SSE (406)", "POST", "/mcp",
       {{"Content-Type", "application/json"}, {"Accept", "application/json"},
        {"Authorization", std::string("Bearer ") + kToken}}, 406},
      {"Content-Type not JSON (415)", "POST", "/mcp", with(mcp, {{"Content-Type", "text/plain"}}), 415},
      {"GET without a session id (405)", "GET", "/mcp", get, 405},
      {"GET with a malformed session id (400)", "GET", "/mcp", with(get, {{"Mcp-Session-Id", std::string(200, 'a')}}), 400},
      {"GET with an unsupported protocol version (400)", "GET", "/mcp",
       with(get_session, {{"MCP-Protocol-Version", "1999-01-01"}}), 400},
      {"GET of an unknown session (404)", "GET", "/mcp", with(get, {{"Mcp-Session-Id", std::string(32, 'f')}}), 404},
      {"DELETE of an unknown session (404)", "DELETE", "/mcp", with(get, {{"Mcp-Session-Id", std::string(32, 'f')}}), 404},
      {"a stream too many (429)", "GET", "/mcp", get_session, 429},
      {"headers too large (431)", "POST", "/mcp", with(mcp, {{"X-Padding", std::string(5000, 'p')}}), 431},
      {"GET /healthz", "GET", "/healthz", {}, 200},
      {"GET /healthz/live", "GET", "/healthz/live", {}, 200},
      {"GET /metrics", "GET", "/metrics", {}, 200},
      {"OPTIONS", "OPTIONS", "/mcp", {}, 204},
  };
  const std::string follow_up =
      rawRequest("POST", "/mcp", with(mcp, {{"Mcp-Session-Id", sid}}),
                 R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  const std::string oversized = kSmuggled + std::string(20000, 'x');  // over max_body_bytes: 413
  for (const bool chunk : {false, true}) {
    std::vector<Case> all = cases;
    all.push_back({"a body over the limit (413)", "POST", "/mcp", with(mcp, {{"Mcp-Session-Id", sid}}), 413});
    for (const Case& c : all) {
      INFO(c.name << (chunk ? ", chunked body" : ", Content-Length body"));
      const int64_t sessions = server.store.sessionCount();
      RawHttp connection(server.http.port());
      const std::string& body = c.status == 413 ? oversized : kSmuggled;
      REQUIRE(connection.send(rawRequest(c.method, c.path, c.headers, body, chunk)));
      const std::string first = connection.readResponse();
      CHECK(statusOf(first) == c.status);
      if (closes(first)) {
        // Closed after the one answer.
        CHECK(connection.readUntilClosed(std::chrono::seconds(5)).empty());
      } else {
        // Kept open: the body was dropped, and the next request on the
        // connection gets its own answer, not the smuggled one's.
        CHECK(!chunk);
        REQUIRE(connection.send(follow_up));
        const std::string next = connection.readResponse();
        CHECK(statusOf(next) == 202);
        CHECK(connection.readUntilClosed(std::chrono::milliseconds(300)).empty());
      }
      CHECK(server.store.sessionCount() == sessions);  // the smuggled initialize never ran
    }
  }

  // A well-behaved client on a fresh connection is served.
  McpClient fresh(server.http.port());
  fresh.auth_token = kToken;
  fresh.initialize();
  CHECK(fresh.request("tools/call", {{"name", "echo"}, {"arguments", {{"message", "hi"}}}})["result"]["content"][0]
            ["text"] == "hi");
}

TEST_CASE("conflicting or repeated framing and identity headers are refused with 400 and the connection closed") {
  Served server;
  const std::string sid = server.client.session_id;
  const Headers mcp = mcpHeaders(sid);
  const std::string ping = R"({"jsonrpc":"2.0","id":5,"method":"ping"})";
  const auto head = [&](const Headers& extra) {
    std::string out = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    for (const auto& [name, value] : mcp) out += name + ": " + value + "\r\n";
    for (const auto& [name, value] : extra) out += name + ": " + value + "\r\n";
    return out + "\r\n";
  };
  const std::string length = std::to_string(ping.size());
  struct Case {
    std::string name;
    std::string bytes;
    std::string named;  // in the error message
  };
  const std::vector<Case> cases = {
      {"two Content-Length values", head({{"Content-Length", length}, {"Content-Length", "3"}}) + ping + kSmuggled,
       "Content-Length"},
      {"a Content-Length that is not a number", head({{"Content-Length", "+" + length}}) + ping + kSmuggled,
       "Content-Length"},
      {"Content-Length with Transfer-Encoding",
       head({{"Content-Length", length}, {"Transfer-Encoding", "chunked"}}) + chunked(ping) + kSmuggled,
       "Transfer-Encoding"},
      {"a transfer coding other than chunked", head({{"Transfer-Encoding", "gzip, chunked"}}) + chunked(ping),
       "Transfer-Encoding"},
      {"two Transfer-Encoding headers",
       head({{"Transfer-Encoding", "chunked"}, {"Transfer-Encoding", "chunked"}}) + chunked(ping),
       "Transfer-Encoding"},
      {"a second Mcp-Session-Id", head({{"Mcp-Session-Id", std::string(32, 'e')}, {"Content-Length", length}}) + ping,
       "Mcp-Session-Id"},
      {"a second MCP-Protocol-Version",
       head({{"MCP-Protocol-Version", "2025-11-25"}, {"MCP-Protocol-Version", "2025-03-26"},
             {"Content-Length", length}}) + ping,
       "MCP-Protocol-Version"},
      {"a second Last-Event-ID", head({{"Last-Event-ID", "1-1"}, {"Last-Event-ID", "2-1"}, {"Content-Length", length}}) + ping,
       "Last-Event-ID"},
      {"a second Host", head({{"Host", "rebound.example"}, {"Content-Length", length}}) + ping, "Host"},
      {"a second Authorization", head({{"Authorization", "Bearer other"}, {"Content-Length", length}}) + ping,
       "Authorization"},
      {"a second Origin",
       head({{"Origin", "http://localhost"}, {"Origin", "https://evil.example"}, {"Content-Length", length}}) + ping,
       "Origin"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    const int64_t sessions = server.store.sessionCount();
    const int64_t events = server.store.eventCount(sid);
    RawHttp connection(server.http.port());
    REQUIRE(connection.send(c.bytes));
    const std::string reply = connection.readResponse();
    CHECK(statusOf(reply) == 400);
    CHECK(closes(reply));
    const json error = json::parse(bodyOf(reply), nullptr, false);
    REQUIRE(error.is_object());
    CHECK(error["error"]["message"].get<std::string>().find(c.named) != std::string::npos);
    CHECK(connection.readUntilClosed(std::chrono::seconds(5)).empty());
    CHECK(server.store.sessionCount() == sessions);
    CHECK(server.store.eventCount(sid) == events);  // the ping never ran
  }

  // A Content-Length list Poco cannot parse fails inside Poco before any
  // handler runs: the connection is closed without an answer, and nothing
  // runs.
  {
    RawHttp connection(server.http.port());
    REQUIRE(connection.send(head({{"Content-Length", length + ", 3"}}) + ping + kSmuggled));
    CHECK(connection.readUntilClosed(std::chrono::seconds(5)).empty());
    CHECK(server.store.sessionCount() == 1);
  }

  // The same Content-Length twice says one thing: served.
  RawHttp same(server.http.port());
  REQUIRE(same.send(head({{"Content-Length", length}, {"Content-Length", length}}) + ping));
  const std::string reply = same.readResponse();
  CHECK(statusOf(reply) == 200);
  CHECK(reply.find(R"("id":5)") != std::string::npos);
}

TEST_CASE("pipelined requests on one connection are each answered once, in order") {
  Served server;
  const std::string sid = server.client.session_id;
  const Headers mcp = mcpHeaders(sid);
  const auto call = [&](int id, const std::string& message) {
    return rawRequest("POST", "/mcp", mcp,
                      R"({"jsonrpc":"2.0","id":)" + std::to_string(id) +
                          R"(,"method":"tools/call","params":{"name":"echo","arguments":{"message":")" + message +
                          R"("}}})");
  };
  const std::string no_body_post = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                                   "Accept: application/json, text/event-stream\r\nAuthorization: Bearer " +
                                   std::string(kToken) + "\r\nMcp-Session-Id: " + sid + "\r\n\r\n";
  RawHttp connection(server.http.port());
  // All at once, in one write: an SSE answer, a 202, a page, a request
  // without a body (RFC 9112: none, so the next bytes are a request), an
  // early refusal with a body, and one more call.
  REQUIRE(connection.send(call(1, "first") +
                          rawRequest("POST", "/mcp", mcp, R"({"jsonrpc":"2.0","method":"notifications/initialized"})") +
                          rawRequest("GET", "/healthz/live", {}) + no_body_post +
                          rawRequest("POST", "/mcp", {{"Origin", "https://evil.example"}}, kInitialize) +
                          call(2, "second")));
  const std::string r1 = connection.readResponse();
  CHECK(statusOf(r1) == 200);
  CHECK(r1.find(R"("id":1)") != std::string::npos);
  CHECK(r1.find("first") != std::string::npos);
  CHECK(statusOf(connection.readResponse()) == 202);
  const std::string live = connection.readResponse();
  CHECK(statusOf(live) == 200);
  CHECK(bodyOf(live) == R"({"status":"ok"})");
  const std::string empty = connection.readResponse();
  CHECK(statusOf(empty) == 400);
  CHECK(json::parse(bodyOf(empty))["error"]["code"] == -32700);
  CHECK(statusOf(connection.readResponse()) == 403);
  const std::string r2 = connection.readResponse();
  CHECK(statusOf(r2) == 200);
  CHECK(r2.find(R"("id":2)") != std::string::npos);
  CHECK(r2.find("second") != std::string::npos);
  CHECK(connection.readUntilClosed(std::chrono::milliseconds(300)).empty());
  CHECK(server.store.sessionCount() == 1);
}

TEST_CASE("browser pages from allowed origins get CORS headers and preflight answers, others get neither") {
  mcpkeep::HttpOptions options = mcpkeep::test::testHttpOptions();
  options.allowed_origins = {"https://app.example"};
  ServerFixture server(options);
  const uint16_t port = server.http.port();
  const auto exchange = [&](const std::string& bytes) {
    RawHttp connection(port);
    connection.send(bytes);
    return connection.readResponse();
  };

  SECTION("a preflight from an allowed origin") {
    const std::string reply = exchange(rawRequest(
        "OPTIONS", "/mcp",
        {{"Origin", "https://app.example"}, {"Access-Control-Request-Method", "POST"},
         {"Access-Control-Request-Headers", "content-type,mcp-session-id,mcp-protocol-version"}}));
    CHECK(statusOf(reply) == 204);
    CHECK(header(reply, "Access-Control-Allow-Origin") == "https://app.example");
    CHECK(header(reply, "Vary") == "Origin");
    CHECK(header(reply, "Access-Control-Allow-Methods").find("POST") != std::string::npos);
    CHECK(header(reply, "Access-Control-Allow-Methods").find("DELETE") != std::string::npos);
    for (const char* h : {"Mcp-Session-Id", "MCP-Protocol-Version", "Last-Event-ID", "Authorization", "Content-Type"}) {
      CHECK(header(reply, "Access-Control-Allow-Headers").find(h) != std::string::npos);
    }
    CHECK(!header(reply, "Access-Control-Max-Age").empty());
  }
  SECTION("a preflight from another origin is 403 without CORS headers") {
    const std::string reply = exchange(rawRequest(
        "OPTIONS", "/mcp", {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "POST"}}));
    CHECK(statusOf(reply) == 403);
    CHECK(header(reply, "Access-Control-Allow-Origin").empty());
  }
  SECTION("responses to an allowed origin, SSE and errors included, let the page read them") {
    McpClient client(port);
    const auto reply = client.send("POST", kInitialize,
                                   {{"Content-Type", "application/json"},
                                    {"Accept", "application/json, text/event-stream"},
                                    {"Origin", "https://app.example"}});
    CHECK(reply.status == 200);
    CHECK(reply.header("Access-Control-Allow-Origin") == "https://app.example");
    CHECK(reply.header("Access-Control-Expose-Headers").find("Mcp-Session-Id") != std::string::npos);
    CHECK(reply.header("Access-Control-Expose-Headers").find("Mcp-Replay-Gap") != std::string::npos);
    const auto missing = client.send("GET", "", {{"Accept", "text/event-stream"}, {"Origin", "https://app.example"}});
    CHECK(missing.status == 405);  // no session: not this era's GET
    CHECK(missing.header("Access-Control-Allow-Origin") == "https://app.example");
  }
  SECTION("another origin gets 403 and no CORS headers; no Origin, none either") {
    McpClient client(port);
    const auto refused = client.send("POST", kInitialize,
                                     {{"Content-Type", "application/json"},
                                      {"Accept", "application/json, text/event-stream"},
                                      {"Origin", "https://evil.example"}});
    CHECK(refused.status == 403);
    CHECK(refused.header("Access-Control-Allow-Origin").empty());
    const auto plain = client.initialize();
    CHECK(plain.status == 200);
    CHECK(plain.header("Access-Control-Allow-Origin").empty());
  }
}
