// `mcpkeep serve`: settings (config file < environment < flags), logging,
// the store, start-up recovery, the HTTP server, and a clean stop on
// SIGTERM/SIGINT.
#include <signal.h>
#include <sys/resource.h>

#include <iostream>
#include <memory>
#include <optional>

#include <Poco/Exception.h>

#include <mcpkeep/http_server.h>
#include <mcpkeep/mcp_server.h>

#include "app/commands.h"
#include "gateway/gateway.h"
#include "gateway/upstream.h"
#include "app/settings.h"
#include "log/log.h"

namespace mcpkeep::app {
namespace {

const char kServeUsage[] =
    "usage: mcpkeep serve [options]\n"
    "\n"
    "Serves MCP over Streamable HTTP at http://HOST:PORT/mcp, keeping sessions and\n"
    "events in an SQLite file (or PostgreSQL) so clients resume after a restart or crash.\n"
    "\n"
    "  --db PATH|URI            database file, or postgresql://user@host/db (libpq URI)\n"
    "                           shared by replicas          [MCPKEEP_DB, ./mcpkeep.db]\n"
    "  --replica-lease S        a replica that stopped renewing its lease this long\n"
    "                           is presumed dead; another ends its streams\n"
    "                                                      [MCPKEEP_REPLICA_LEASE, 15]\n"
    "  --listen HOST:PORT       address (port 0: any free)  [MCPKEEP_LISTEN, 127.0.0.1:8080]\n"
    "  --durability MODE        normal | full              [MCPKEEP_DURABILITY, normal]\n"
    "  --max-events N           events kept per session    [MCPKEEP_MAX_EVENTS, file's: 1000]\n"
    "  --max-age S              seconds events are kept    [MCPKEEP_MAX_AGE, file's: 300]\n"
    "  --session-timeout S      idle seconds per session   [MCPKEEP_SESSION_TIMEOUT, file's: 3600]\n"
    "  --allowed-origins LIST   comma-separated origins    [MCPKEEP_ALLOWED_ORIGINS, loopback only]\n"
    "  --auth-token TOKEN       require a bearer token     [MCPKEEP_AUTH_TOKEN, none]\n"
    "  --close-streams-after S  close SSE streams after S seconds; clients resume\n"
    "                           with Last-Event-ID        [MCPKEEP_CLOSE_STREAMS_AFTER, never]\n"
    "  --sse-retry MS           SSE retry hint: clients reconnect after MS, and with\n"
    "                           default settings ride out a restart of 2 x MS\n"
    "                                                      [MCPKEEP_SSE_RETRY, 6000]\n"
    "  --responses MODE         sse | json: how requests are answered\n"
    "  --protocols WHICH        all | sessions | stateless: both eras (all); the session era\n"
    "                           only, telling 2026 probes to fall back; or 2026-07-28 only\n"
    "                                                      [MCPKEEP_RESPONSES, sse]\n"
    "  --log-level LEVEL        error | warning | notice | info | debug\n"
    "                                                      [MCPKEEP_LOG_LEVEL, info]\n"
    "  --log-format FORMAT      text (key=value) | json    [MCPKEEP_LOG_FORMAT, text]\n"
    "  --config FILE            settings file, 'name = value' lines with the names\n"
    "                           above (db = /var/lib/mcpkeep/mcpkeep.db)\n"
    "                                                      [MCPKEEP_CONFIG, none]\n"
    "\n"
    "Gateway: answer with any MCP server instead of the built-in tools; sessions,\n"
    "replay and restarts are mcpkeep's, the upstream's initialize is replayed to a\n"
    "fresh upstream when it (or mcpkeep) restarted:\n"
    "  --upstream-command CMD   a stdio MCP server to start: 'npx -y @scope/server',\n"
    "                           split like a shell would (no shell runs), or a JSON\n"
    "                           array [\"uv\",\"run\",\"server.py\"]\n"
    "                                                      [MCPKEEP_UPSTREAM_COMMAND, none]\n"
    "  --upstream-url URL       a Streamable HTTP MCP server: http://host:port/mcp\n"
    "                                                      [MCPKEEP_UPSTREAM_URL, none]\n"
    "  --upstream-header 'NAME: VALUE'  sent to it with every request, e.g. its own\n"
    "                           bearer token (repeatable)  [MCPKEEP_UPSTREAM_HEADER, none]\n"
    "  --upstream-env NAME=VALUE  its environment besides mcpkeep's (repeatable)\n"
    "                                                      [MCPKEEP_UPSTREAM_ENV, none]\n"
    "  --upstream-cwd DIR       its working directory      [MCPKEEP_UPSTREAM_CWD, mcpkeep's]\n"
    "  --upstream-mode MODE     per-session (a child per session) | shared (one\n"
    "                           child for all, for stateless servers)\n"
    "                                                      [MCPKEEP_UPSTREAM_MODE, per-session]\n"
    "  --max-upstreams N        children at once, else 503 [MCPKEEP_MAX_UPSTREAMS, 256]\n"
    "  --upstream-idle S        stop a child idle S seconds; the next request starts\n"
    "                           it again                   [MCPKEEP_UPSTREAM_IDLE, 600]\n"
    "  --upstream-timeout S     to answer initialize       [MCPKEEP_UPSTREAM_TIMEOUT, 30]\n"
    "  --retry-idempotent       a tools/call cut by the upstream's end (or by mcpkeep's)\n"
    "                           is sent again once when the tool is annotated\n"
    "                           readOnlyHint or idempotentHint, instead of answered\n"
    "                           with an error\n"
    "A command that cannot start, or does not answer initialize, stops serve at start\n"
    "(exit 1). The child's stderr is logged (logger mcpkeep.upstream).\n"
    "\n"
    "Limits (each refusal is an HTTP status with a JSON-RPC error):\n"
    "  --max-body-bytes N       POST body, else 413         [MCPKEEP_MAX_BODY_BYTES, 4194304]\n"
    "  --max-header-bytes N     request headers, else 431   [MCPKEEP_MAX_HEADER_BYTES, 16384]\n"
    "  --max-connections N      served at once, else 503    [MCPKEEP_MAX_CONNECTIONS, 4096]\n"
    "  --max-sessions N         sessions stored, else 503   [MCPKEEP_MAX_SESSIONS, 1000000]\n"
    "  --max-streams-per-session N  open streams, else 429  [MCPKEEP_MAX_STREAMS_PER_SESSION, 64]\n"
    "  --request-timeout S      to receive a request, else the connection closes\n"
    "                                                      [MCPKEEP_REQUEST_TIMEOUT, 10]\n"
    "  --idle-timeout S         idle keep-alive connection [MCPKEEP_IDLE_TIMEOUT, 30]\n"
    "  --busy-timeout MS        wait for a database lock, else 503\n"
    "                                                      [MCPKEEP_BUSY_TIMEOUT, 5000]\n"
    "\n"
    "Flags override environment variables, which override the config file.\n"
    "One server per database file: serve on a file another live server holds\n"
    "exits 1 naming it (the lock is DB.serving; admin commands do not take it).\n"
    "On PostgreSQL any number of replicas serve one database, behind any load\n"
    "balancer: a session answers on each of them.\n"
    "SIGTERM or SIGINT stops the server: open streams end with a retry hint,\n"
    "running tool calls get 5 s to commit their results (the rest are answered\n"
    "as interrupted), the WAL is checkpointed, exit code 0.\n";

const std::vector<std::string> kSettingNames = {
    "db", "replica-lease", "listen", "durability", "max-events", "max-age", "session-timeout", "allowed-origins",
    "auth-token", "close-streams-after", "sse-retry", "responses", "protocols", "log-level", "log-format", "max-body-bytes",
    "max-header-bytes", "max-connections", "max-sessions", "max-streams-per-session",
    "request-timeout", "idle-timeout", "busy-timeout", "upstream-command", "upstream-url", "upstream-header",
    "upstream-env", "upstream-cwd",
    "upstream-mode", "max-upstreams", "upstream-idle", "upstream-timeout"};

constexpr const char* kLogger = "mcpkeep.serve";

std::vector<std::string> splitList(const std::string& text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto comma = text.find(',', start);
    const std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!item.empty()) items.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return items;
}

int positiveInt(const Settings& s, const std::string& name) {
  const int64_t n = s.positive(name);
  if (n > INT32_MAX) throw Usage("--" + name + " is too large");
  return static_cast<int>(n);
}

void readListen(const Settings& s, HttpOptions& http) {
  if (!s.has("listen")) return;
  const std::string listen = s.get("listen");
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) throw Usage("--listen must be HOST:PORT, not '" + listen + "'");
  http.host = listen.substr(0, colon);
  const std::string port = listen.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port) > 65535) {
    throw Usage("--listen port must be 0..65535, not '" + port + "'");
  }
  http.port = static_cast<uint16_t>(std::stoi(port));
}

// Retention flags change the file's limits; unset ones keep what it has.
void readRetention(const Settings& s, const std::string& db, StoreOptions& store) {
  if (!s.has("max-events") && !s.has("max-age") && !s.has("session-timeout")) return;
  Retention retention;
  {
    StoreOptions peek;
    peek.maintenance_interval = std::chrono::milliseconds(0);
    retention = Store(db, peek).retention();
  }
  if (s.has("max-events")) retention.max_events = s.positive("max-events");
  if (s.has("max-age")) retention.max_age = std::chrono::seconds(s.positive("max-age"));
  if (s.has("session-timeout")) retention.session_timeout = std::chrono::seconds(s.positive("session-timeout"));
  store.retention = retention;
}

void readHttp(const Settings& s, HttpOptions& http) {
  readListen(s, http);
  if (s.has("allowed-origins")) http.allowed_origins = splitList(s.get("allowed-origins"));
  if (s.has("auth-token")) http.auth_token = s.get("auth-token");
  if (s.has("close-streams-after")) http.close_streams_after = s.seconds("close-streams-after");
  if (s.has("sse-retry")) http.retry = std::chrono::milliseconds(s.positive("sse-retry"));
  http.json_responses = s.oneOf("responses", {"sse", "json"}, "sse") == "json";
  const std::string protocols = s.oneOf("protocols", {"all", "sessions", "stateless"}, "all");
  http.stateless = protocols != "sessions";
  http.sessions = protocols != "stateless";
  if (s.has("max-body-bytes")) http.max_body_bytes = static_cast<std::size_t>(s.positive("max-body-bytes"));
  if (s.has("max-header-bytes")) http.max_header_bytes = static_cast<std::size_t>(s.positive("max-header-bytes"));
  if (s.has("max-connections")) http.max_connections = positiveInt(s, "max-connections");
  if (s.has("max-sessions")) http.max_sessions = s.positive("max-sessions");
  if (s.has("max-streams-per-session")) http.max_streams_per_session = positiveInt(s, "max-streams-per-session");
  if (s.has("request-timeout")) http.request_timeout = s.seconds("request-timeout");
  if (s.has("idle-timeout")) http.idle_timeout = s.seconds("idle-timeout");
}

// The gateway's settings; nullopt when serve answers with its own tools.
std::optional<gateway::GatewayOptions> readGateway(const Settings& s) {
  const bool command = s.has("upstream-command");
  const bool url = s.has("upstream-url");
  if (command && url) throw Usage("--upstream-command and --upstream-url exclude each other");
  const auto needs = [&](bool present, const char* name, const char* upstream) {
    if (present) throw Usage(std::string("--") + name + " needs --" + upstream);
  };
  for (const char* name : {"upstream-env", "upstream-cwd", "upstream-mode"}) {
    needs(s.has(name) && !command, name, "upstream-command");
  }
  needs(s.has("upstream-header") && !url, "upstream-header", "upstream-url");
  if (!command && !url) {
    for (const char* name : {"max-upstreams", "upstream-idle", "upstream-timeout"}) {
      needs(s.has(name), name, "upstream-command or --upstream-url");
    }
    needs(s.on("retry-idempotent"), "retry-idempotent", "upstream-command or --upstream-url");
    return std::nullopt;
  }
  gateway::GatewayOptions options;
  if (command) {
    try {
      options.command.argv = gateway::splitCommandLine(s.get("upstream-command"));
    } catch (const std::invalid_argument& e) {
      throw Usage(std::string("--upstream-command: ") + e.what());
    }
    for (const std::string& entry : s.list("upstream-env")) {
      const auto equals = entry.find('=');
      if (equals == 0 || equals == std::string::npos) throw Usage("--upstream-env must be NAME=VALUE, not '" + entry + "'");
      options.command.env.push_back(entry);
    }
    options.command.cwd = s.get("upstream-cwd");
    options.shared = s.oneOf("upstream-mode", {"per-session", "shared"}, "per-session") == "shared";
  } else {
    options.url = s.get("upstream-url");
    for (const std::string& header : s.list("upstream-header")) {
      const auto colon = header.find(':');
      if (colon == 0 || colon == std::string::npos) throw Usage("--upstream-header must be 'NAME: VALUE', not '" + header + "'");
      const auto value = header.find_first_not_of(' ', colon + 1);
      options.headers.emplace_back(header.substr(0, colon), value == std::string::npos ? "" : header.substr(value));
    }
  }
  if (s.has("max-upstreams")) options.max_upstreams = positiveInt(s, "max-upstreams");
  options.idle = s.has("upstream-idle") ? s.seconds("upstream-idle") : std::chrono::seconds(600);
  if (s.has("upstream-timeout")) options.start_timeout = s.seconds("upstream-timeout");
  options.retry_idempotent = s.on("retry-idempotent");
  return options;
}

}  // namespace

const std::vector<std::string>& serveSettingNames() { return kSettingNames; }

int serve(const std::vector<std::string>& args) {
  StoreOptions store_options;
  HttpOptions http_options;
  std::optional<gateway::GatewayOptions> gateway_options;
  std::string db;
  try {
    const Settings settings(args, kSettingNames, {"help", "retry-idempotent"},
                            {"upstream-env", "upstream-header"});
    if (settings.on("help")) {
      std::cout << kServeUsage;
      return 0;
    }
    if (!settings.positional().empty()) throw Usage("unexpected argument '" + settings.positional()[0] + "'");
    log::configure(settings.oneOf("log-level", {"error", "warning", "notice", "info", "debug"}, "info"),
                   settings.oneOf("log-format", {"text", "json"}, "text") == "json" ? log::Format::kJson
                                                                                      : log::Format::kText);
    db = settings.get("db", "./mcpkeep.db");
    store_options.durability =
        settings.oneOf("durability", {"normal", "full"}, "normal") == "full" ? Durability::kFull : Durability::kNormal;
    if (settings.has("replica-lease")) store_options.replica_lease = settings.seconds("replica-lease");
    if (settings.has("busy-timeout")) store_options.busy_timeout = std::chrono::milliseconds(settings.positive("busy-timeout"));
    readHttp(settings, http_options);
    readRetention(settings, db, store_options);
    gateway_options = readGateway(settings);
  } catch (const Usage& e) {
    std::cerr << "mcpkeep serve: " << e.what() << "\n\n" << kServeUsage;
    return 2;
  }

  // Each open stream is a socket: allow as many as the hard limit does.
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }

  // Block the stop signals in every thread; this one waits for them below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  Store store(db, store_options);  // refuses a file it must not touch, before anything else
  Hub hub(store);
  // Either takes the file: refused beside a live server of it; answers a
  // dead one's requests.
  std::unique_ptr<Dispatcher> answerer;
  if (gateway_options) {
    auto gateway = std::make_unique<gateway::Gateway>(hub, *gateway_options);
    try {
      gateway->probe();
    } catch (const gateway::UpstreamError& e) {
      log::error(kLogger, "upstream cannot serve", {{"error", e.what()}});
      std::cerr << "mcpkeep serve: " << e.what() << "\n";
      return 1;
    }
    answerer = std::move(gateway);
  } else {
    auto mcp = std::make_unique<McpServer>(hub);
    addBuiltinTools(*mcp);
    answerer = std::move(mcp);
  }
  HttpServer http(*answerer, http_options);
  try {
    http.start();
  } catch (const Poco::Exception& e) {
    const std::string address = http_options.host + ":" + std::to_string(http_options.port);
    log::error(kLogger, "cannot listen", {{"address", address}, {"error", e.displayText()}});
    std::cerr << "mcpkeep serve: cannot listen on " << address << ": " << e.displayText()
              << " (is another server using it?)\n";
    return 1;
  }
  const std::string url = "http://" + http_options.host + ":" + std::to_string(http.port()) + "/mcp";
  log::info(kLogger, "listening", {{"url", url}, {"db", db}});
  // The line scripts wait for, on stdout.
  std::cout << "mcpkeep: listening on " << url << " (database " << db << ")" << std::endl;

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  log::info(kLogger, "stopping", {{"signal", std::to_string(signal_number)}});
  http.stop();  // running tool calls get its grace, then the interrupted answer
  store.runMaintenance();  // includes the WAL checkpoint
  log::info(kLogger, "stopped");
  return 0;
}

}  // namespace mcpkeep::app
