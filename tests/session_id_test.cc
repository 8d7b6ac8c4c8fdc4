// Session ids are the only key to a session: 128 bits from the kernel's
// CSPRNG, and nothing but them about a session reaches the log.
#include <catch2/catch.hpp>

#include <signal.h>

#include <cmath>
#include <regex>
#include <set>

#include "helpers/child_process.h"
#include "helpers/mcp_client.h"
#include "helpers/temp_dir.h"
#include "http/request_guards.h"
#include "store/session_id.h"

using nlohmann::json;

TEST_CASE("session ids are 128 random bits: unique, every bit and hex digit evenly spread") {
  constexpr int kIds = 20000;
  std::set<std::string> seen;
  std::vector<int> ones(128, 0);
  std::vector<long> digits(16, 0);
  for (int i = 0; i < kIds; ++i) {
    const std::string id = mcpkeep::store::newSessionId();
    REQUIRE(id.size() == 32);
    REQUIRE(id.find_first_not_of("0123456789abcdef") == std::string::npos);
    seen.insert(id);
    for (int d = 0; d < 32; ++d) {
      const int value = std::stoi(id.substr(static_cast<std::size_t>(d), 1), nullptr, 16);
      ++digits[static_cast<std::size_t>(value)];
      for (int b = 0; b < 4; ++b) ones[static_cast<std::size_t>(d * 4 + b)] += (value >> b) & 1;
    }
  }
  CHECK(seen.size() == kIds);
  // Each bit is set in half the ids, within 5 standard deviations.
  const double sigma = std::sqrt(kIds / 4.0);
  for (int b = 0; b < 128; ++b) {
    INFO("bit " << b);
    CHECK(std::abs(ones[static_cast<std::size_t>(b)] - kIds / 2.0) < 5 * sigma);
  }
  // Hex digits are uniform: chi-square with 15 degrees of freedom under 50
  // (p < 1e-5 for a fair source).
  const double expected = kIds * 32 / 16.0;
  double chi_square = 0;
  for (long count : digits) chi_square += (count - expected) * (count - expected) / expected;
  CHECK(chi_square < 50);
}

TEST_CASE("the bearer token check compares whole strings") {
  using mcpkeep::http::constantTimeEquals;
  CHECK(constantTimeEquals("s3cret-token", "s3cret-token"));
  CHECK_FALSE(constantTimeEquals("s3cret-token", "s3cret-tokem"));
  CHECK_FALSE(constantTimeEquals("s3cret-token", "s3cret-token-and-more"));
  CHECK_FALSE(constantTimeEquals("s3cret-token", "s3cret"));
  CHECK_FALSE(constantTimeEquals("s3cret-token", ""));
  CHECK(constantTimeEquals("", ""));
}

TEST_CASE("the server's log names sessions by id and holds no token or message content") {
  mcpkeep::test::TempDir dir;
  const std::string token = "tok-9f8e7d6c5b4a";
  const std::string secret = "the-launch-code-is-0000";
  mcpkeep::test::ChildProcess server({"/bin/sh", "-c",
                                      "exec '" MCPKEEP_BINARY "' serve --db '" + dir.file("log.db") +
                                          "' --listen 127.0.0.1:0 --auth-token " + token + " 2>&1"});
  std::string log;
  std::optional<std::string> line = server.readLine();
  REQUIRE(line);
  log += *line + "\n";
  std::smatch port;
  REQUIRE(std::regex_search(*line, port, std::regex("127\\.0\\.0\\.1:([0-9]+)/mcp")));
  mcpkeep::test::McpClient client(static_cast<uint16_t>(std::stoi(port[1])));
  client.auth_token = token;
  client.initialize();
  REQUIRE(client.session_id.size() == 32);
  // A call carrying a secret, a refused request, a bad token, and the end.
  CHECK(client.request("tools/call", {{"name", "echo"}, {"arguments", {{"message", secret}}}})["result"]
            ["content"][0]["text"] == secret);
  CHECK(client.request("tools/call", {{"name", "no-such-tool"}, {"arguments", {{"message", secret}}}})
            .contains("error"));
  mcpkeep::test::McpClient intruder = client;
  intruder.auth_token = token + "x";
  CHECK(intruder.post({{"jsonrpc", "2.0"}, {"id", 1}, {"method", "ping"}}).status == 401);
  CHECK(client.send("DELETE", "", client.standardHeaders()).status == 200);
  server.signalAndWait(SIGTERM);
  while ((line = server.readLine(std::chrono::seconds(5)))) log += *line + "\n";
  INFO(log);
  CHECK(log.find(client.session_id) != std::string::npos);  // sessions are named by id
  CHECK(log.find(token) == std::string::npos);
  CHECK(log.find(secret) == std::string::npos);
}
