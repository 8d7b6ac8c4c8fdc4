// kill -9 a process that appends in a loop, many times, at random moments:
// every event it acknowledged must be on disk afterwards, intact and in order.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>

#include <map>
#include <random>

#include <SQLiteCpp/SQLiteCpp.h>

#include <mcpkeep/mcpkeep.h>

#include "helpers/child_process.h"
#include "helpers/temp_dir.h"


TEST_CASE("every event acknowledged before a kill -9 is on disk intact and in order") {
  mcpkeep::test::TempDir dir;
  const auto path = dir.file("crash.db");
  std::string session;
  {
    mcpkeep::Store store(path, mcpkeep::test::testOptions());
    session = store.createSession().id;
  }
  const auto seed = std::random_device{}();
  INFO("random seed " << seed);
  std::mt19937 random(seed);
  std::uniform_int_distribution<int> acks_before_kill(1, 300);

  std::map<std::string, std::string> acknowledged;  // event id -> data
  const int kCycles = 50;
  for (int cycle = 1; cycle <= kCycles; ++cycle) {
    INFO("cycle " << cycle);
    {
      mcpkeep::test::ChildProcess child(
          {MCPKEEP_CRASH_WRITER, path, session, std::to_string(cycle)});
      const int wanted = acks_before_kill(random);
      for (int i = 1; i <= wanted; ++i) {
        const auto id = child.readLine();
        REQUIRE(id);
        acknowledged[*id] = "{\"cycle\":" + std::to_string(cycle) + ",\"i\":" + std::to_string(i) + "}";
      }
      // Most likely in the middle of the next append.
      const int status = child.signalAndWait(SIGKILL);
      REQUIRE(WIFSIGNALED(status));
      REQUIRE(WTERMSIG(status) == SIGKILL);
    }

    SQLite::Database raw(path, SQLite::OPEN_READONLY);
    REQUIRE(raw.execAndGet("PRAGMA quick_check").getString() == "ok");

    mcpkeep::Store store(path, mcpkeep::test::testOptions());
    const auto events = store.events(session);
    std::map<std::string, std::string> stored;
    int64_t previous_seq = 0;
    for (const auto& e : events) {
      REQUIRE(e.seq > previous_seq);  // strictly increasing, so no duplicates
      previous_seq = e.seq;
      stored[e.id] = e.data;
    }
    for (const auto& [id, data] : acknowledged) {
      INFO("acknowledged event " << id);
      REQUIRE(stored.count(id) == 1);
      REQUIRE(stored[id] == data);
    }
  }
  CHECK(acknowledged.size() >= static_cast<std::size_t>(kCycles));
}
