// Many threads appending to many sessions while subscribers read: every
// subscriber sees every event of its stream exactly once, in order.
#include <catch2/catch.hpp>

#include <thread>

#include <mcpkeep/mcpkeep.h>

#include "helpers/temp_dir.h"

using namespace std::chrono_literals;

TEST_CASE("8 appending threads and a subscriber per stream: each event arrives exactly once and in order") {
  mcpkeep::test::TempDir dir;
  auto options = mcpkeep::test::testOptions();
  options.durability = GENERATE(mcpkeep::Durability::kNormal, mcpkeep::Durability::kFull);
  mcpkeep::Store store(dir.file("concurrent.db"), options);
  mcpkeep::Hub hub(store);

  constexpr int kThreads = 8, kSessionsPerThread = 4, kEventsPerSession = 150;
  struct Target {
    std::string session;
    mcpkeep::StreamId stream;
  };
  std::vector<Target> targets;
  for (int i = 0; i < kThreads * kSessionsPerThread; ++i) {
    const auto id = store.createSession().id;
    targets.push_back({id, store.openRequestStream(id, "[1]")});
  }

  std::vector<std::vector<int>> received(targets.size());
  std::vector<std::thread> readers;
  for (std::size_t t = 0; t < targets.size(); ++t) {
    readers.emplace_back([&, t] {
      auto sub = hub.subscribe(targets[t].session, mcpkeep::EventId{targets[t].stream, 0});
      for (;;) {
        const auto d = sub.next(30s);
        if (d.kind != mcpkeep::Delivery::Kind::kEvent) break;  // ended (or stuck: fails below)
        received[t].push_back(std::stoi(d.event.data));
      }
    });
  }

  std::vector<std::thread> writers;
  for (int w = 0; w < kThreads; ++w) {
    writers.emplace_back([&, w] {
      // Interleave this thread's sessions, so commits mix sessions.
      for (int n = 1; n <= kEventsPerSession; ++n) {
        for (int s = 0; s < kSessionsPerThread; ++s) {
          const auto& target = targets[w * kSessionsPerThread + s];
          hub.publish(target.session, target.stream, "message", std::to_string(n));
        }
      }
      for (int s = 0; s < kSessionsPerThread; ++s) {
        const auto& target = targets[w * kSessionsPerThread + s];
        hub.closeStream(target.session, target.stream);
      }
    });
  }
  for (auto& t : writers) t.join();
  for (auto& t : readers) t.join();

  std::vector<int> expected(kEventsPerSession);
  for (int n = 1; n <= kEventsPerSession; ++n) expected[n - 1] = n;
  for (std::size_t t = 0; t < targets.size(); ++t) {
    INFO("stream " << t);
    CHECK(received[t] == expected);
  }
  CHECK(store.writeStats().appends == kThreads * kSessionsPerThread * kEventsPerSession);
}
