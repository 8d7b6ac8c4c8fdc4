// The crash loop: `mcpkeep serve` on one file, several clients working at
// once (tool calls with progress on POST streams, a standalone GET stream
// each, sessions created and deleted), the server killed with SIGKILL at a
// random moment, restarted on the same file, and the clients resuming with
// Last-Event-ID; beside them a 2026-07-28 client makes slow_task tasks and
// polls them. After every kill it checks the file against everything the
// clients received; at the end it prints the counts and fails unless lost,
// duplicated and every other count of wrong outcomes is 0 (a task the
// client was told of is never lost, and ends completed with its result or
// failed because the server stopped).
//
// With --db postgresql://... --replicas N, N servers share the database
// (with a 1 s lease); each request goes to one of them at random, and each
// cycle kills one at random while the others go on serving: the calls cut
// off are resumed on any replica, and end with the interrupted answer once
// a survivor claimed the dead one's streams.
//
//   crash_loop MCPKEEP_BINARY [--cycles N] [--clients N] [--seed N]
//              [--db LOCATION] [--replicas N]
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <regex>
#include <set>
#include <thread>
#include <tuple>

#include <SQLiteCpp/SQLiteCpp.h>

#include <mcpkeep/event_id.h>
#include <mcpkeep/store.h>

#include "helpers/child_process.h"
#include "helpers/mcp_client.h"
#include "helpers/temp_dir.h"

using nlohmann::json;
using namespace mcpkeep;
using test::ChildProcess;
using test::McpClient;
using test::SseEvent;

namespace {

struct Received {
  std::string session;
  std::string data;
};

// Everything the clients received, and what went wrong while receiving it.
class Ledger {
 public:
  // Records an event with an id; counts a repeat on its stream as duplicated
  // and an id seen before with other data as reused.
  void add(const std::string& session, const SseEvent& e) {
    const auto id = EventId::parse(e.id);
    std::lock_guard<std::mutex> lock(mutex_);
    if (!id) {
      ++malformed_ids;
      return;
    }
    if (e.data.empty()) return;  // a priming event: a position, nothing stored
    std::set<int64_t>& seqs = received_[id->stream];
    if (!seqs.empty() && id->seq <= *seqs.rbegin()) ++duplicated;
    seqs.insert(id->seq);
    auto [it, fresh] = events_.emplace(e.id, Received{session, e.data});
    if (!fresh && (it->second.data != e.data || it->second.session != session)) ++reused;
  }

  // The client read `stream` to its end (its response).
  void streamFinished(const std::string& event_id) {
    std::lock_guard<std::mutex> lock(mutex_);
    finished_.insert(EventId::parse(event_id)->stream);
  }

  void sessionDeleted(const std::string& session) {
    std::lock_guard<std::mutex> lock(mutex_);
    deleted_sessions_.insert(session);
  }

  // Checks the database (through a Store of its own) against what the
  // clients received: every received event is stored with the same data,
  // unless retention removed it or its session was deleted. A file (its
  // server dead) must also pass quick_check.
  void checkDatabase(const std::string& db) {
    if (db.rfind("postgres", 0) != 0) {
      SQLite::Database file(db, SQLite::OPEN_READWRITE);
      if (file.execAndGet("PRAGMA quick_check").getString() != "ok") ++quick_check_failures;
    }
    StoreOptions options;
    options.maintenance_interval = std::chrono::milliseconds(0);  // a reader only
    options.check_on_open = false;
    options.create_if_missing = false;
    Store store(db, options);
    std::map<std::string, std::string> stored;
    std::map<StreamId, std::set<int64_t>> stored_seqs;
    std::map<int64_t, int64_t> evicted_through;
    for (const Session& session : store.sessions()) {
      for (const Stream& stream : store.streams(session.id)) evicted_through[stream.id] = stream.evicted_through;
      for (const Event& event : store.events(session.id)) {
        const EventId id{event.stream_id, event.seq};
        stored.emplace(id.toString(), event.data);
        stored_seqs[id.stream].insert(id.seq);
      }
    }

    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [id_text, received] : events_) {
      ++events_checked;
      const auto found = stored.find(id_text);
      if (found != stored.end()) {
        if (found->second != received.data) ++changed;
        continue;
      }
      if (deleted_sessions_.count(received.session)) continue;
      const EventId id = *EventId::parse(id_text);
      const auto stream = evicted_through.find(id.stream);
      if (stream != evicted_through.end() && id.seq <= stream->second) {
        ++removed_by_retention;
        continue;
      }
      ++lost;
      std::cerr << "lost: event " << id_text << " of session " << received.session << " ("
                << (stream == evicted_through.end() ? "its stream is gone" : "its stream is there")
                << "): " << received.data << "\n";
    }
    // A stream read to its end was read whole: every stored event of it
    // reached the client (resumes included).
    for (StreamId stream : finished_) {
      for (int64_t seq : stored_seqs[stream]) {
        if (!received_[stream].count(seq) && !skipped_.count({stream, seq})) {
          skipped_.insert({stream, seq});
          ++skipped;
          std::cerr << "skipped: event " << EventId{stream, seq}.toString() << " never delivered\n";
        }
      }
    }
  }

  std::size_t size() {
    std::lock_guard<std::mutex> lock(mutex_);
    return events_.size();
  }

  std::atomic<int64_t> events_checked{0}, lost{0}, duplicated{0}, reused{0}, changed{0},
      removed_by_retention{0}, skipped{0}, malformed_ids{0}, http_errors{0}, quick_check_failures{0}, session_failures{0},
      resume_failures{0}, calls_completed{0}, calls_interrupted{0}, resumes{0},
      sessions_deleted{0};

 private:
  std::mutex mutex_;
  std::map<std::string, Received> events_;
  std::map<StreamId, std::set<int64_t>> received_;
  std::set<StreamId> finished_;
  std::set<std::pair<StreamId, int64_t>> skipped_;
  std::set<std::string> deleted_sessions_;
};

// One simulated client: a session, the call stream it was reading when the
// server died (to resume), and its standalone stream's last id.
struct Client {
  std::string session_id;
  std::string protocol_version;
  std::string unfinished_call;  // last event id of a call stream cut off
  std::string standalone_last;  // last event id of the standalone stream
  int next_id = 1;
  std::mt19937 random;
};

// The replicas serving this cycle; each request goes to one at random.
using Ports = std::vector<uint16_t>;

uint16_t anyOf(const Ports& ports, std::mt19937& random) {
  return ports[std::uniform_int_distribution<std::size_t>(0, ports.size() - 1)(random)];
}

McpClient connect(const Client& c, uint16_t port) {
  McpClient client(port);
  client.session_id = c.session_id;
  client.protocol_version = c.protocol_version;
  return client;
}

bool endsStream(const SseEvent& e) {
  if (e.data.empty()) return false;
  const json m = json::parse(e.data, nullptr, false);
  return m.is_object() && m.contains("id") && !m.contains("method");
}

// Reads a stream from the server until it ends or the server dies; records
// each event and remembers the last id in `last`. True if a response ended it.
bool follow(Ledger& ledger, const Client& c, const std::function<test::HttpReply(
                                                  const std::function<void(const SseEvent&)>&)>& send,
            std::string& last, int* status = nullptr) {
  bool ended = false;
  try {
    const auto reply = send([&](const SseEvent& e) {
      if (e.id.empty()) return;  // a gap notice
      ledger.add(c.session_id, e);
      last = e.id;
      if (endsStream(e)) {
        ended = true;
        ledger.streamFinished(e.id);
      }
    });
    if (status) *status = reply.status;
  } catch (const std::exception&) {
    // The server died under the request.
  }
  return ended;
}

void initialize(Client& c, uint16_t port) {
  McpClient client(port);
  client.initialize("2025-11-25");
  c.session_id = client.session_id;
  c.protocol_version = client.protocol_version;
  c.standalone_last.clear();
  c.unfinished_call.clear();
}

// One client's work in one cycle, until a server dies.
void work(Ledger& ledger, Client& c, const Ports& ports, const std::atomic<bool>& killed) {
  try {
    if (c.session_id.empty()) initialize(c, anyOf(ports, c.random));
    // The session survived the restart.
    McpClient client = connect(c, anyOf(ports, c.random));
    client.next_id = c.next_id;
    const json pong = client.request("ping");
    c.next_id = client.next_id;
    if (!pong.contains("result")) {
      if (!killed) {
        ++ledger.session_failures;
        std::cerr << "session " << c.session_id << " not usable after restart: " << pong.dump() << "\n";
      }
      return;
    }
  } catch (const std::exception&) {
    return;  // killed before or during set-up
  }

  // The standalone stream, resumed from its last id when there is one.
  // With one server it is read until the server dies; with replicas, whose
  // survivors do not end it, it is read in turns of at most a second on
  // one replica or another until the cycle's kill.
  const Client before = c;
  std::string standalone_last = c.standalone_last;
  std::thread standalone([&ledger, &before, &standalone_last, &ports, &killed, seed = c.random()] {
    std::mt19937 random(seed);
    do {
      McpClient client = connect(before, anyOf(ports, random));
      if (ports.size() > 1) client.timeout = std::chrono::seconds(1);
      std::map<std::string, std::string> headers;
      if (!standalone_last.empty()) headers["Last-Event-ID"] = standalone_last;
      follow(ledger, before, [&](auto on_event) {
        return client.get(headers, SIZE_MAX, [&](const SseEvent& e) {
          on_event(e);
          if (killed && ports.size() > 1) throw std::runtime_error("the cycle ended");
        });
      }, standalone_last);
    } while (ports.size() > 1 && !killed);
  });

  // The call cut off by the last kill: the rest of it, exactly once.
  if (!c.unfinished_call.empty()) {
    ++ledger.resumes;
    const McpClient client = connect(c, anyOf(ports, c.random));
    std::string last = c.unfinished_call;
    int status = 0;
    const bool ended = follow(
        ledger, c, [&](auto on_event) { return client.get({{"Last-Event-ID", last}}, SIZE_MAX, on_event); },
        last, &status);
    if (ended || status == 204) {
      c.unfinished_call.clear();
    } else if (status != 0 && status != 200 && !killed) {
      ++ledger.resume_failures;
      std::cerr << "resume of " << c.unfinished_call << " answered " << status << "\n";
      c.unfinished_call.clear();
    } else {
      c.unfinished_call = last;
    }
  }

  std::uniform_int_distribution<int> percent(1, 100), steps(1, 30), interval(0, 8);
  while (!killed && c.unfinished_call.empty()) {
    McpClient client = connect(c, anyOf(ports, c.random));
    if (percent(c.random) <= 5) {  // end the session and start another
      ledger.sessionDeleted(c.session_id);  // (or maybe, when the kill cuts the DELETE short)
      try {
        if (client.send("DELETE", "", client.standardHeaders()).status != 200) ++ledger.http_errors;
      } catch (const std::exception&) {
      }
      ++ledger.sessions_deleted;
      c.session_id.clear();
      c.standalone_last.clear();
      try {
        initialize(c, anyOf(ports, c.random));
      } catch (const std::exception&) {
      }
      break;  // the standalone stream of the old session has ended
    }
    const int id = c.next_id++;
    const json call = {{"jsonrpc", "2.0"}, {"id", id}, {"method", "tools/call"},
                       {"params", {{"name", "slow_task"},
                                   {"arguments", {{"steps", steps(c.random)}, {"interval_ms", interval(c.random)}}},
                                   {"_meta", {{"progressToken", id}}}}}};
    std::string last;
    int status = 0;
    const bool ended = follow(
        ledger, c,
        [&](auto on_event) { return client.send("POST", call.dump(), client.standardHeaders(), SIZE_MAX, on_event); },
        last, &status);
    if (status != 0 && status != 200 && !killed) {
      ++ledger.http_errors;
      std::cerr << "tools/call answered " << status << "\n";
      break;
    }
    if (ended) {
      ++ledger.calls_completed;
    } else if (!last.empty()) {
      ++ledger.calls_interrupted;
      c.unfinished_call = last;
    }
  }
  standalone.join();
  if (c.session_id == before.session_id) c.standalone_last = standalone_last;
}

// The tasks a 2026-07-28 client made (it was told their ids) and what became
// of them.
struct TaskLedger {
  std::mutex mutex;
  std::map<std::string, int> open;  // task id -> its steps, until seen finished
  int created = 0, completed = 0, stopped = 0, lost = 0, wrong = 0;
};

const char* const kStopped = "the server stopped before the task finished";

// Looks at every open task once; false if the server could not be asked.
bool pollTasks(TaskLedger& tasks, const McpClient& client) {
  std::map<std::string, int> open;
  {
    std::lock_guard<std::mutex> lock(tasks.mutex);
    open = tasks.open;
  }
  for (const auto& [id, steps] : open) {
    const auto reply =
        client.postStateless(test::statelessRequest(1, "tasks/get", {{"taskId", id}}, test::withTasks()));
    if (reply.status == 0) return false;
    const json body = json::parse(reply.body, nullptr, false);
    std::lock_guard<std::mutex> lock(tasks.mutex);
    if (!body.is_object() || body.contains("error")) {
      ++tasks.lost;
      std::cerr << "task " << id << " not found: " << reply.body << "\n";
      tasks.open.erase(id);
      continue;
    }
    const json& task = body["result"];
    const std::string status = task.value("status", "");
    if (status == "working") continue;
    tasks.open.erase(id);
    if (status == "completed" &&
        task["result"]["content"][0].value("text", "") == "done after " + std::to_string(steps) + " steps") {
      ++tasks.completed;
    } else if (status == "failed" && task.value("statusMessage", "") == kStopped) {
      ++tasks.stopped;
    } else {
      ++tasks.wrong;
      std::cerr << "task " << id << " ended wrong: " << task.dump() << "\n";
    }
  }
  return true;
}

// The task client's work in one cycle, until a server dies.
void workTasks(TaskLedger& tasks, const Ports& ports, const std::atomic<bool>& killed, std::mt19937& random) {
  std::uniform_int_distribution<int> steps(1, 20), interval(0, 10);
  try {
    while (!killed) {
      const McpClient client(anyOf(ports, random));
      if (!pollTasks(tasks, client)) return;
      const int n = steps(random);
      const auto reply = client.postStateless(test::statelessRequest(
          1, "tools/call", {{"name", "slow_task"}, {"arguments", {{"steps", n}, {"interval_ms", interval(random)}}}},
          test::withTasks()));
      const json body = json::parse(reply.body, nullptr, false);
      if (!body.is_object()) return;  // killed under it
      std::lock_guard<std::mutex> lock(tasks.mutex);
      if (body["result"].value("resultType", "") != "task") {
        ++tasks.wrong;
        std::cerr << "slow_task did not become a task: " << reply.body << "\n";
        return;
      }
      tasks.open[body["result"]["taskId"]] = n;
      ++tasks.created;
    }
  } catch (const std::exception&) {
    // The server died under a request.
  }
}

std::pair<std::unique_ptr<ChildProcess>, uint16_t> startServer(const std::string& binary,
                                                               const std::string& db) {
  auto server = std::make_unique<ChildProcess>(std::vector<std::string>{
      binary, "serve", "--db", db, "--listen", "127.0.0.1:0", "--max-events", "200", "--replica-lease", "1"});
  const auto line = server->readLine(std::chrono::seconds(30));
  std::smatch port;
  if (!line || !std::regex_search(*line, port, std::regex("127\\.0\\.0\\.1:([0-9]+)/mcp"))) {
    throw std::runtime_error("the server did not start");
  }
  return {std::move(server), static_cast<uint16_t>(std::stoi(port[1]))};
}

}  // namespace

int main(int argc, char** argv) {
  const char* const usage =
      "usage: crash_loop MCPKEEP_BINARY [--cycles N] [--clients N] [--seed N] [--db LOCATION] [--replicas N]\n";
  if (argc < 2) {
    std::cerr << usage;
    return 2;
  }
  const std::string binary = argv[1];
  int cycles = 100, clients = 4, replicas = 1;
  unsigned seed = std::random_device()();
  test::TempDir dir;
  std::string db = dir.file("crash-loop.db");
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--cycles") cycles = std::stoi(value);
    if (flag == "--clients") clients = std::stoi(value);
    if (flag == "--seed") seed = static_cast<unsigned>(std::stoul(value));
    if (flag == "--db") db = value;
    if (flag == "--replicas") replicas = std::stoi(value);
  }
  if (replicas < 1 || (replicas > 1 && db.rfind("postgres", 0) != 0)) {
    std::cerr << "crash_loop: replicas share a PostgreSQL database (--db postgresql://...)\n" << usage;
    return 2;
  }
  std::cout << "crash loop: " << cycles << " cycles, " << clients << " clients, " << replicas
            << " replica(s), seed " << seed << std::endl;

  Ledger ledger;
  TaskLedger tasks;
  std::mt19937 random(seed);
  std::mt19937 random_tasks(seed + 1);
  std::vector<Client> state(static_cast<std::size_t>(clients));
  for (auto& c : state) c.random.seed(random());

  // Servers by slot; a killed one is started again for the next cycle.
  std::vector<std::unique_ptr<ChildProcess>> servers(static_cast<std::size_t>(replicas));
  Ports ports(servers.size());
  const auto started = std::chrono::steady_clock::now();
  for (int cycle = 1; cycle <= cycles; ++cycle) {
    for (std::size_t i = 0; i < servers.size(); ++i) {
      if (!servers[i]) std::tie(servers[i], ports[i]) = startServer(binary, db);
    }
    std::atomic<bool> killed{false};
    std::vector<std::thread> workers;
    for (auto& c : state) workers.emplace_back([&] { work(ledger, c, ports, killed); });
    workers.emplace_back([&] { workTasks(tasks, ports, killed, random_tasks); });

    // Kill one at a random moment: sometimes during recovery and set-up,
    // mostly with calls in flight.
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 300)(random)));
    killed = true;
    auto& victim = servers[std::uniform_int_distribution<std::size_t>(0, servers.size() - 1)(random)];
    victim->signalAndWait(SIGKILL);
    victim.reset();
    for (auto& w : workers) w.join();
    ledger.checkDatabase(db);
    if (cycle % 10 == 0 || cycle == cycles) {
      std::cout << "cycle " << cycle << ": " << ledger.size() << " events received, "
                << ledger.lost << " lost, " << ledger.duplicated << " duplicated" << std::endl;
    }
  }
  const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  {  // One more start: every task the client was told of ends, one way or the other.
    for (std::size_t i = 0; i < servers.size(); ++i) {
      if (!servers[i]) std::tie(servers[i], ports[i]) = startServer(binary, db);
    }
    const McpClient client(ports[0]);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (pollTasks(tasks, client) && !tasks.open.empty() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    for (auto& server : servers) server->signalAndWait(SIGTERM);
  }

  std::cout << "\ncycles " << cycles << " in " << seconds << " s\n"
            << "events received " << ledger.size() << ", checks against the database "
            << ledger.events_checked << "\n"
            << "calls completed " << ledger.calls_completed << ", cut off by a kill "
            << ledger.calls_interrupted << ", streams resumed " << ledger.resumes << "\n"
            << "sessions deleted and replaced " << ledger.sessions_deleted
            << ", events removed by retention " << ledger.removed_by_retention << "\n"
            << "lost " << ledger.lost << "\n"
            << "duplicated " << ledger.duplicated << "\n"
            << "skipped in a stream read to its end " << ledger.skipped << "\n"
            << "unexpected HTTP errors " << ledger.http_errors << "\n"
            << "ids reused " << ledger.reused << "\n"
            << "stored data changed " << ledger.changed << "\n"
            << "malformed ids " << ledger.malformed_ids << "\n"
            << "quick_check failures " << ledger.quick_check_failures << "\n"
            << "sessions unusable after restart " << ledger.session_failures << "\n"
            << "resumes refused " << ledger.resume_failures << "\n"
            << "tasks made " << tasks.created << ": completed " << tasks.completed << ", failed as the server stopped "
            << tasks.stopped << ", lost " << tasks.lost << ", wrong " << tasks.wrong << ", unfinished "
            << tasks.open.size() << std::endl;
  const bool ok = ledger.lost == 0 && ledger.duplicated == 0 && ledger.reused == 0 &&
                  ledger.skipped == 0 && ledger.http_errors == 0 &&
                  ledger.changed == 0 && ledger.malformed_ids == 0 &&
                  ledger.quick_check_failures == 0 && ledger.session_failures == 0 &&
                  ledger.resume_failures == 0 && ledger.calls_completed > 0 && ledger.resumes > 0 &&
                  tasks.lost == 0 && tasks.wrong == 0 && tasks.open.empty() && tasks.completed > 0 &&
                  tasks.stopped > 0;
  std::cout << (ok ? "PASS" : "FAIL") << std::endl;
  return ok ? 0 : 1;
}
