// `mcpkeep serve`: options from flags over environment variables, the store,
// start-up recovery, the HTTP server, and a clean stop on SIGTERM/SIGINT.
#include <signal.h>
#include <sys/resource.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>

#include <mcpkeep/http_server.h>
#include <mcpkeep/mcp_server.h>

#include "app/commands.h"

namespace mcpkeep::app {
namespace {

const char kServeUsage[] =
    "usage: mcpkeep serve [options]\n"
    "\n"
    "Serves MCP over Streamable HTTP at http://HOST:PORT/mcp, keeping sessions and\n"
    "events in an SQLite file so clients resume after a restart or crash.\n"
    "\n"
    "  --db PATH                database file              [MCPKEEP_DB, ./mcpkeep.db]\n"
    "  --listen HOST:PORT       address (port 0: any free)  [MCPKEEP_LISTEN, 127.0.0.1:8080]\n"
    "  --durability MODE        normal | full              [MCPKEEP_DURABILITY, normal]\n"
    "  --max-events N           events kept per session    [MCPKEEP_MAX_EVENTS, file's: 1000]\n"
    "  --max-age S              seconds events are kept    [MCPKEEP_MAX_AGE, file's: 300]\n"
    "  --session-timeout S      idle seconds per session   [MCPKEEP_SESSION_TIMEOUT, file's: 3600]\n"
    "  --allowed-origins LIST   comma-separated origins    [MCPKEEP_ALLOWED_ORIGINS, loopback only]\n"
    "  --auth-token TOKEN       require a bearer token     [MCPKEEP_AUTH_TOKEN, none]\n"
    "  --close-streams-after S  close SSE streams after S seconds; clients resume\n"
    "                           with Last-Event-ID        [MCPKEEP_CLOSE_STREAMS_AFTER, never]\n"
    "  --responses MODE         sse | json: how requests are answered\n"
    "                                                      [MCPKEEP_RESPONSES, sse]\n"
    "\n"
    "Limits (each refusal is an HTTP status with a JSON-RPC error):\n"
    "  --max-body-bytes N       POST body, else 413         [MCPKEEP_MAX_BODY_BYTES, 4194304]\n"
    "  --max-header-bytes N     request headers, else 431   [MCPKEEP_MAX_HEADER_BYTES, 16384]\n"
    "  --max-connections N      served at once, else 503    [MCPKEEP_MAX_CONNECTIONS, 4096]\n"
    "  --max-sessions N         sessions stored, else 503   [MCPKEEP_MAX_SESSIONS, 10000]\n"
    "  --max-streams-per-session N  open streams, else 429  [MCPKEEP_MAX_STREAMS_PER_SESSION, 64]\n"
    "  --request-timeout S      to receive a request, else the connection closes\n"
    "                                                      [MCPKEEP_REQUEST_TIMEOUT, 10]\n"
    "  --idle-timeout S         idle keep-alive connection [MCPKEEP_IDLE_TIMEOUT, 30]\n"
    "  --busy-timeout MS        wait for a database lock, else 503\n"
    "                                                      [MCPKEEP_BUSY_TIMEOUT, 5000]\n"
    "\n"
    "Flags override environment variables. SIGTERM or SIGINT stops the server:\n"
    "open streams end with a retry hint, the WAL is checkpointed, exit code 0.\n";

// Flag name -> environment variable.
const std::map<std::string, std::string> kSettings = {
    {"--db", "MCPKEEP_DB"},
    {"--listen", "MCPKEEP_LISTEN"},
    {"--durability", "MCPKEEP_DURABILITY"},
    {"--max-events", "MCPKEEP_MAX_EVENTS"},
    {"--max-age", "MCPKEEP_MAX_AGE"},
    {"--session-timeout", "MCPKEEP_SESSION_TIMEOUT"},
    {"--allowed-origins", "MCPKEEP_ALLOWED_ORIGINS"},
    {"--auth-token", "MCPKEEP_AUTH_TOKEN"},
    {"--close-streams-after", "MCPKEEP_CLOSE_STREAMS_AFTER"},
    {"--responses", "MCPKEEP_RESPONSES"},
    {"--max-body-bytes", "MCPKEEP_MAX_BODY_BYTES"},
    {"--max-header-bytes", "MCPKEEP_MAX_HEADER_BYTES"},
    {"--max-connections", "MCPKEEP_MAX_CONNECTIONS"},
    {"--max-sessions", "MCPKEEP_MAX_SESSIONS"},
    {"--max-streams-per-session", "MCPKEEP_MAX_STREAMS_PER_SESSION"},
    {"--request-timeout", "MCPKEEP_REQUEST_TIMEOUT"},
    {"--idle-timeout", "MCPKEEP_IDLE_TIMEOUT"},
    {"--busy-timeout", "MCPKEEP_BUSY_TIMEOUT"},
};

struct Usage : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::map<std::string, std::string> readSettings(const std::vector<std::string>& args) {
  std::map<std::string, std::string> values;
  for (const auto& [flag, variable] : kSettings) {
    if (const char* value = std::getenv(variable.c_str())) values[flag] = value;
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (!kSettings.count(args[i])) throw Usage("unknown option '" + args[i] + "'");
    if (i + 1 == args.size()) throw Usage(args[i] + " needs a value");
    values[args[i]] = args[i + 1];
    ++i;
  }
  return values;
}

int64_t positive(const std::map<std::string, std::string>& values, const std::string& flag) {
  const std::string& text = values.at(flag);
  std::size_t used = 0;
  long long n = 0;
  try {
    n = std::stoll(text, &used);
  } catch (const std::exception&) {
  }
  if (used != text.size() || n <= 0) throw Usage(flag + " must be a positive whole number, not '" + text + "'");
  return n;
}

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

}  // namespace

int serve(const std::vector<std::string>& args) {
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    std::cout << kServeUsage;
    return 0;
  }
  StoreOptions store_options;
  HttpOptions http_options;
  std::string db = "./mcpkeep.db";
  try {
    auto values = readSettings(args);
    if (values.count("--db")) db = values["--db"];
    if (values.count("--listen")) {
      const std::string& listen = values["--listen"];
      const auto colon = listen.rfind(':');
      if (colon == std::string::npos) throw Usage("--listen must be HOST:PORT, not '" + listen + "'");
      http_options.host = listen.substr(0, colon);
      const std::string port = listen.substr(colon + 1);
      if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
          std::stoi(port) > 65535) {
        throw Usage("--listen port must be 0..65535, not '" + port + "'");
      }
      http_options.port = static_cast<uint16_t>(std::stoi(port));
    }
    if (values.count("--durability")) {
      const std::string& mode = values["--durability"];
      if (mode != "normal" && mode != "full") throw Usage("--durability must be normal or full");
      store_options.durability = mode == "full" ? Durability::kFull : Durability::kNormal;
    }
    if (values.count("--max-events") || values.count("--max-age") || values.count("--session-timeout")) {
      // Unset limits keep what the file has: read it first.
      Retention retention;
      {
        StoreOptions peek;
        peek.maintenance_interval = std::chrono::milliseconds(0);
        peek.recover_open_streams = false;
        retention = Store(db, peek).retention();
      }
      if (values.count("--max-events")) retention.max_events = positive(values, "--max-events");
      if (values.count("--max-age")) retention.max_age = std::chrono::seconds(positive(values, "--max-age"));
      if (values.count("--session-timeout")) {
        retention.session_timeout = std::chrono::seconds(positive(values, "--session-timeout"));
      }
      store_options.retention = retention;
    }
    if (values.count("--allowed-origins")) http_options.allowed_origins = splitList(values["--allowed-origins"]);
    if (values.count("--auth-token")) http_options.auth_token = values["--auth-token"];
    if (values.count("--close-streams-after")) {
      http_options.close_streams_after = std::chrono::seconds(positive(values, "--close-streams-after"));
    }
    if (values.count("--responses")) {
      const std::string& mode = values["--responses"];
      if (mode != "sse" && mode != "json") throw Usage("--responses must be sse or json");
      http_options.json_responses = mode == "json";
    }
    const auto positiveInt = [&](const std::string& flag) {
      const int64_t n = positive(values, flag);
      if (n > INT32_MAX) throw Usage(flag + " is too large");
      return static_cast<int>(n);
    };
    if (values.count("--max-body-bytes")) http_options.max_body_bytes = positive(values, "--max-body-bytes");
    if (values.count("--max-header-bytes")) http_options.max_header_bytes = positive(values, "--max-header-bytes");
    if (values.count("--max-connections")) http_options.max_connections = positiveInt("--max-connections");
    if (values.count("--max-sessions")) http_options.max_sessions = positive(values, "--max-sessions");
    if (values.count("--max-streams-per-session")) {
      http_options.max_streams_per_session = positiveInt("--max-streams-per-session");
    }
    if (values.count("--request-timeout")) {
      http_options.request_timeout = std::chrono::seconds(positive(values, "--request-timeout"));
    }
    if (values.count("--idle-timeout")) {
      http_options.idle_timeout = std::chrono::seconds(positive(values, "--idle-timeout"));
    }
    if (values.count("--busy-timeout")) {
      store_options.busy_timeout = std::chrono::milliseconds(positive(values, "--busy-timeout"));
    }
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

  // This process answers for streams a dead one left open (below), so the
  // store must not mark them itself.
  store_options.recover_open_streams = false;
  Store store(db, store_options);
  Hub hub(store);
  McpServer mcp(hub);
  addBuiltinTools(mcp);
  const int interrupted = mcp.recoverInterruptedRequests();
  if (interrupted > 0) {
    std::cerr << "mcpkeep: answered " << interrupted
              << " request(s) interrupted by the last stop, for clients that resume\n";
  }
  HttpServer http(mcp, http_options);
  http.start();
  std::cout << "mcpkeep: listening on http://" << http_options.host << ":" << http.port() << "/mcp"
            << " (database " << db << ")" << std::endl;

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  std::cerr << "mcpkeep: stopping on signal " << signal_number << "\n";
  http.stop();
  mcp.shutdown();
  store.runMaintenance();  // includes the WAL checkpoint
  std::cerr << "mcpkeep: stopped\n";
  return 0;
}

}  // namespace mcpkeep::app
