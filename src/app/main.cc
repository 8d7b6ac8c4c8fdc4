// The mcpkeep binary. Until the server lands (issue 3) it has one
// subcommand, `demo`, which writes a session and events into a database and
// shows how to read them with the sqlite3 CLI.
#include <cstring>
#include <iostream>
#include <string>

#include <mcpkeep/mcpkeep.h>

namespace {

const char kUsage[] =
    "usage: mcpkeep demo [--db PATH]\n"
    "\n"
    "  demo   open PATH (default ./mcpkeep.db), write a session with a few events,\n"
    "         replay them after an event id, and print sqlite3 commands to read them\n";

int demo(const std::string& path) {
  mcpkeep::Store store(path);
  mcpkeep::Session session = store.createSession();
  store.markInitialized(session.id, "2025-11-25", R"({"sampling":{}})",
                        R"({"name":"mcpkeep-demo","version":"0.1.0"})");
  const mcpkeep::StreamId stream = store.openRequestStream(session.id, "[1]");
  const std::string first = store.append(session.id, stream, "message",
      R"({"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":1,"progress":50,"total":100}})");
  store.append(session.id, stream, "message",
               R"({"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"hello"}]}})");
  store.closeStream(session.id, stream);

  const mcpkeep::Replay replay = store.eventsAfter(session.id, first);
  std::cout << "database:   " << store.path() << "\n"
            << "session:    " << session.id << "\n"
            << "stream:     " << stream << "\n"
            << "replay after " << first << ": " << replay.events.size() << " event(s)\n";
  for (const auto& e : replay.events) std::cout << "  id: " << e.id << "  data: " << e.data << "\n";
  std::cout << "\nRead it with the sqlite3 CLI:\n"
            << "  sqlite3 -box " << path << " 'SELECT * FROM sessions_v'\n"
            << "  sqlite3 -box " << path
            << " \"SELECT event_id, created, method, rpc_id FROM events_v WHERE session_id = '"
            << session.id << "' ORDER BY seq\"\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    std::cout << kUsage;
    return argc < 2 ? 2 : 0;
  }
  const std::string command = argv[1];
  std::string db = "./mcpkeep.db";
  for (int i = 2; i < argc; ++i) {
    if (std::strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
      db = argv[++i];
    } else {
      std::cerr << "mcpkeep: unknown argument '" << argv[i] << "'\n" << kUsage;
      return 2;
    }
  }
  if (command != "demo") {
    std::cerr << "mcpkeep: unknown command '" << command << "'\n" << kUsage;
    return 2;
  }
  try {
    return demo(db);
  } catch (const mcpkeep::Error& e) {
    std::cerr << "mcpkeep: " << e.what() << "\n";
    return 1;
  }
}
