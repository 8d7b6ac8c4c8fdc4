// `mcpkeep demo`: writes a session and events into a database and shows how
// to read them with the sqlite3 CLI.
#include <iostream>

#include <mcpkeep/mcpkeep.h>

#include "app/commands.h"

namespace mcpkeep::app {

int demo(const std::vector<std::string>& args) {
  std::string path = "./mcpkeep.db";
  if (args.size() == 2 && args[0] == "--db") {
    path = args[1];
  } else if (!args.empty()) {
    std::cerr << "usage: mcpkeep demo [--db PATH]\n";
    return 2;
  }
  Store store(path);
  Session session = store.createSession();
  store.markInitialized(session.id, "2025-11-25", R"({"sampling":{}})",
                        R"({"name":"mcpkeep-demo","version":"0.1.0"})");
  const StreamId stream = store.openRequestStream(session.id, "[1]");
  const std::string first = store.append(session.id, stream, "message",
      R"({"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":1,"progress":50,"total":100}})");
  store.append(session.id, stream, "message",
               R"({"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"hello"}]}})");
  store.closeStream(session.id, stream);

  const Replay replay = store.eventsAfter(session.id, first);
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

}  // namespace mcpkeep::app
