// A small MCP load client for tests/bench/run_http.sh: drives any MCP
// Streamable HTTP server over keep-alive connections and prints one line of
// figures. The same client measures mcpkeep and the peer server, so the
// ratio is what a run compares.
//
//   bench_http URL calls     CONNECTIONS SECONDS [IDLE_STREAMS]
//       tools/call echo in a loop, one session per connection; with
//       IDLE_STREAMS, that many idle GET SSE streams (each of its own
//       session) are held open meanwhile
//   bench_http URL sessions  CONNECTIONS SECONDS
//       initialize + notifications/initialized in a loop
//   bench_http URL replay    CONNECTIONS SECONDS
//       one tools/call per connection, then GET with Last-Event-ID (its
//       priming event) in a loop: the answer replayed, the stream ended
//
// URL may be several, comma-separated (replicas of one database): each
// connection then sends its requests to them in turn, round-robin, its
// session made on the first.
//
// Prints: "<mode> ok=<n> errors=<n> rate=<n>/s p50=<ms> p99=<ms>", and
// with SERVER_PID set, the server's " threads=<n> rss=<MB>" at the end of
// the load (idle streams still open).
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>
#include <nlohmann/json.hpp>

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

const char kVersion[] = "2025-11-25";

// One keep-alive connection speaking MCP to the server.
class Connection {
 public:
  explicit Connection(const std::vector<Poco::URI>& uris) : uri_(uris.front()) {
    for (const Poco::URI& uri : uris) {
      http_.push_back(std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort()));
      http_.back()->setKeepAlive(true);
      http_.back()->setTimeout(Poco::Timespan(30, 0));
    }
  }

  // Sends one request to the next server in turn; returns the HTTP status
  // and fills `body`.
  int send(Poco::Net::HTTPRequest& request, const std::string& text, std::string& body) {
    Poco::Net::HTTPClientSession& http = *http_[next_++ % http_.size()];
    http.sendRequest(request) << text;
    Poco::Net::HTTPResponse response;
    std::istream& in = http.receiveResponse(response);
    body.clear();
    Poco::StreamCopier::copyToString(in, body);  // an SSE response ends after the answer
    if (response.has("Mcp-Session-Id")) session_id = response.get("Mcp-Session-Id");
    return response.getStatus();
  }

  // Sends one message; returns the HTTP status and fills `body`.
  int post(const json& message, std::string& body) {
    Poco::Net::HTTPRequest request("POST", uri_.getPathEtc(), Poco::Net::HTTPMessage::HTTP_1_1);
    request.setContentType("application/json");
    request.set("Accept", "application/json, text/event-stream");
    if (!session_id.empty()) {
      request.set("Mcp-Session-Id", session_id);
      request.set("MCP-Protocol-Version", kVersion);
    }
    const std::string text = message.dump();
    request.setContentLength(static_cast<std::streamsize>(text.size()));
    return send(request, text, body);
  }

  // initialize + notifications/initialized: a new session.
  bool initialize() {
    session_id.clear();
    next_ = 0;  // the session is made on the first server
    std::string body;
    const json init = {{"jsonrpc", "2.0"}, {"id", 0}, {"method", "initialize"},
                       {"params", {{"protocolVersion", kVersion}, {"capabilities", json::object()},
                                   {"clientInfo", {{"name", "mcpkeep-bench"}, {"version", "1"}}}}}};
    if (post(init, body) != 200 || session_id.empty()) return false;
    return post({{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}}, body) == 202;
  }

  bool callEcho(int id) {
    std::string body;
    const json call = {{"jsonrpc", "2.0"}, {"id", id}, {"method", "tools/call"},
                       {"params", {{"name", "echo"}, {"arguments", {{"message", "hello"}}}}}};
    if (post(call, body) != 200 || body.find("\"result\"") == std::string::npos) return false;
    const auto id_at = body.find("id: ");
    if (id_at != std::string::npos) last_priming_id = body.substr(id_at + 4, body.find('\n', id_at) - id_at - 4);
    return true;
  }

  // GET with Last-Event-ID: the events after it, replayed; true when the
  // call's answer came back.
  bool resume(const std::string& last_event_id) {
    Poco::Net::HTTPRequest request("GET", uri_.getPathEtc(), Poco::Net::HTTPMessage::HTTP_1_1);
    request.set("Accept", "text/event-stream");
    request.set("Mcp-Session-Id", session_id);
    request.set("MCP-Protocol-Version", kVersion);
    request.set("Last-Event-ID", last_event_id);
    std::string body;
    return send(request, "", body) == 200 && body.find("\"result\"") != std::string::npos;
  }

  std::string session_id;
  std::string last_priming_id;  // of the last call's SSE answer

 private:
  Poco::URI uri_;
  std::vector<std::unique_ptr<Poco::Net::HTTPClientSession>> http_;
  std::size_t next_ = 0;
};

// An idle GET SSE stream, held open by its socket.
std::unique_ptr<Poco::Net::StreamSocket> openIdleStream(const Poco::URI& uri) {
  Connection owner({uri});
  if (!owner.initialize()) throw std::runtime_error("initialize failed while opening idle streams");
  auto socket = std::make_unique<Poco::Net::StreamSocket>(
      Poco::Net::SocketAddress(uri.getHost(), uri.getPort()));
  const std::string request = "GET " + uri.getPathEtc() + " HTTP/1.1\r\nHost: " + uri.getHost() + ":" +
                              std::to_string(uri.getPort()) +
                              "\r\nAccept: text/event-stream\r\nMcp-Session-Id: " + owner.session_id +
                              "\r\nMCP-Protocol-Version: " + kVersion + "\r\n\r\n";
  socket->sendBytes(request.data(), static_cast<int>(request.size()));
  socket->setReceiveTimeout(Poco::Timespan(30, 0));
  std::string head;
  char c;
  while (head.find("\r\n\r\n") == std::string::npos && socket->receiveBytes(&c, 1) == 1) head += c;
  if (head.rfind("HTTP/1.1 200", 0) != 0) throw std::runtime_error("GET stream refused: " + head);
  return socket;
}

// " threads=N rss=MB" of a process, from /proc.
std::string processFigures(const std::string& pid) {
  std::ifstream status("/proc/" + pid + "/status");
  std::string line, threads = "?", rss_kb = "0";
  while (std::getline(status, line)) {
    std::istringstream fields(line);
    std::string key;
    fields >> key;
    if (key == "Threads:") fields >> threads;
    if (key == "VmRSS:") fields >> rss_kb;
  }
  char out[64];
  std::snprintf(out, sizeof out, " threads=%s rss=%.1fMB", threads.c_str(), std::stod(rss_kb) / 1024);
  return out;
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  const auto k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

void raiseFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::cerr << "usage: bench_http URL[,URL...] calls|sessions|replay CONNECTIONS SECONDS [IDLE_STREAMS]\n";
    return 2;
  }
  raiseFileLimit();
  std::vector<Poco::URI> uris;
  std::istringstream list(argv[1]);
  for (std::string one; std::getline(list, one, ',');) uris.emplace_back(one);
  const Poco::URI& uri = uris.front();
  const std::string mode = argv[2];
  const int connections = std::stoi(argv[3]);
  const auto duration = std::chrono::seconds(std::stoi(argv[4]));
  const int idle_streams = argc > 5 ? std::stoi(argv[5]) : 0;

  std::vector<std::unique_ptr<Poco::Net::StreamSocket>> idle;
  for (int i = 0; i < idle_streams; ++i) idle.push_back(openIdleStream(uri));

  std::atomic<long> errors{0};
  std::vector<std::vector<double>> latencies(static_cast<std::size_t>(connections));
  const auto start = Clock::now();
  const auto stop_at = start + duration;
  std::vector<std::thread> threads;
  for (int t = 0; t < connections; ++t) {
    threads.emplace_back([&, t] {
      auto& mine = latencies[static_cast<std::size_t>(t)];
      try {
        Connection connection(uris);
        if (mode != "sessions" && !connection.initialize()) throw std::runtime_error("initialize failed");
        if (mode == "replay" && !connection.callEcho(1)) throw std::runtime_error("the call to replay failed");
        for (int id = 1; Clock::now() < stop_at; ++id) {
          const auto before = Clock::now();
          const bool ok = mode == "calls"    ? connection.callEcho(id)
                          : mode == "replay" ? connection.resume(connection.last_priming_id)
                                             : connection.initialize();
          const auto after = Clock::now();
          if (ok) {
            mine.push_back(std::chrono::duration<double, std::milli>(after - before).count());
          } else {
            ++errors;
          }
        }
      } catch (const std::exception& e) {
        std::cerr << "connection " << t << ": " << e.what() << "\n";
        ++errors;
      }
    });
  }
  for (auto& t : threads) t.join();
  const char* server_pid = std::getenv("SERVER_PID");
  const std::string server = server_pid ? processFigures(server_pid) : std::string();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> all;
  for (auto& v : latencies) all.insert(all.end(), v.begin(), v.end());
  const double rate = static_cast<double>(all.size()) / seconds;
  const double p50 = percentile(all, 0.50);
  const double p99 = percentile(all, 0.99);
  std::printf("%s ok=%zu errors=%ld rate=%.0f/s p50=%.2fms p99=%.2fms%s\n", mode.c_str(), all.size(),
              errors.load(), rate, p50, p99, server.c_str());
  return errors.load() == 0 ? 0 : 1;
}
