// Uses only the installed headers and package: open, append, replay.
#include <cstdio>

#include <mcpkeep/mcpkeep.h>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  mcpkeep::Store store(argv[1]);
  const auto session = store.createSession();
  const auto stream = store.standaloneStream(session.id);
  const auto id = store.append(session.id, stream, "message", R"({"ok":true})");
  const auto replay = store.eventsAfter(session.id, mcpkeep::EventId{stream, 0});
  std::printf("%s %zu\n", id.c_str(), replay.events.size());
  return replay.events.size() == 1 ? 0 : 1;
}
