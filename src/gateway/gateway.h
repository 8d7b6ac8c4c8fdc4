// gateway::Gateway: the Dispatcher that answers with an upstream MCP server
// (`mcpkeep serve --upstream-command` or `--upstream-url`). Sessions, streams
// and events stay mcpkeep's, in the store: every message the upstream sends
// is committed to the session's stream before it is sent downstream. Each
// session keeps what rebuilds its upstream (the client's initialize, the
// upstream's answer, log level, resource subscriptions), so after a restart
// of mcpkeep or of the upstream the session's next request starts a fresh
// upstream, replays its initialize and goes on.
//
// Ids are mapped both ways: requests get ids of the gateway's own on their
// way up (and progress tokens likewise), the upstream's requests to the
// client (sampling, elicitation, roots) get ids of the gateway's on their way
// down; answers and cancellations are mapped back.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <mcpkeep/dispatcher.h>

#include "gateway/command.h"

namespace mcpkeep::gateway {

struct GatewayOptions {
  // A stdio upstream: the command to start (argv not empty), or ...
  Command command;
  // ... a Streamable HTTP upstream: its URL, with headers sent on every
  // request to it ("Authorization", "Bearer ...").
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  // Stdio: a child per session (default), or one child for every session
  // (for stateless servers).
  bool shared = false;
  // Upstreams running at once; a session that needs one more gets 503.
  int max_upstreams = 256;
  // An upstream with no request in flight for this long is stopped; the
  // next request starts it again (its initialize replayed). 0: never.
  std::chrono::milliseconds idle{0};
  // How long an upstream may take to answer initialize (and the replayed
  // setup requests) before it counts as failed.
  std::chrono::milliseconds start_timeout{std::chrono::seconds(30)};
  // A tools/call cut short by the upstream's end is sent once more to a
  // fresh upstream when the tool is annotated readOnlyHint or
  // idempotentHint, instead of answered with an error.
  bool retry_idempotent = false;
};

// Counters for /metrics.
struct GatewayStats {
  int64_t running = 0;            // upstreams running now
  int64_t starts = 0;             // upstreams started
  int64_t crashes = 0;            // upstreams that ended without being asked to
  int64_t reinitializations = 0;  // sessions whose stored initialize was replayed
  int64_t retries = 0;            // calls sent again (--retry-idempotent, an HTTP upstream's 404)
};

class Gateway : public Dispatcher {
 public:
  // Takes the hub's file (one server per file; a dead server's requests
  // are answered, see McpServer). Throws Error(kBusy) beside a live server,
  // std::invalid_argument for options that name no upstream.
  Gateway(Hub& hub, GatewayOptions options);
  ~Gateway() override;

  // Starts an upstream and stops it again: throws UpstreamError with the
  // reason when it cannot start or does not answer initialize; serve calls
  // it at start, so a command that cannot work fails there.
  void probe();

  Hub& hub() override;
  Dispatch handleRequest(const std::string& session_id, const nlohmann::json& request) override;
  void handleNotification(const std::string& session_id, const nlohmann::json& message) override;
  bool endSession(const std::string& session_id) override;
  // 2026-07-28 clients too, through one upstream session mcpkeep keeps.
  bool servesStateless() const override { return true; }
  std::optional<std::string> unavailable() override;
  void setAddress(const std::string& url) override;
  void shutdown(std::chrono::milliseconds grace) override;

  GatewayStats stats() const;
  // The upstream gauges and counters and the upstream request latency
  // histogram.
  std::string metrics() const override;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace mcpkeep::gateway
