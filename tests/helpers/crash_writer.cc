// Child process of the crash test: opens DB, appends {"cycle":C,"i":i} for
// i = 1, 2, ... to the standalone stream of SESSION, and after each append
// returns (so after its commit) writes the event id to stdout. Runs until
// killed.
#include <unistd.h>

#include <cstdio>
#include <string>

#include <mcpkeep/mcpkeep.h>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: crash_writer DB SESSION CYCLE\n");
    return 2;
  }
  try {
    mcpkeep::StoreOptions options;
    options.maintenance_interval = std::chrono::milliseconds(0);
    options.retention = mcpkeep::Retention().withMaxEvents(1'000'000'000);
    mcpkeep::Store store(argv[1], options);
    const std::string session = argv[2];
    const std::string cycle = argv[3];
    const auto stream = store.standaloneStream(session);
    for (long i = 1;; ++i) {
      const std::string data = "{\"cycle\":" + cycle + ",\"i\":" + std::to_string(i) + "}";
      const std::string line = store.append(session, stream, "message", data) + "\n";
      if (::write(STDOUT_FILENO, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
        return 3;
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "crash_writer: %s\n", e.what());
    return 1;
  }
}
