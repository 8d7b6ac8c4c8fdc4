// Close and reopen: everything is there, and ids continue without reuse.
#include <catch2/catch.hpp>

#include <set>

#include <mcpkeep/mcpkeep.h>

#include "helpers/temp_dir.h"

TEST_CASE("a reopened file has every session stream and event and ids never repeat") {
  mcpkeep::test::TempDir dir;
  const auto path = dir.file("persist.db");
  std::set<std::string> seen_ids;
  std::string kept, deleted;
  mcpkeep::StreamId stream = 0;
  {
    mcpkeep::Store store(path, mcpkeep::test::testOptions());
    kept = store.createSession().id;
    deleted = store.createSession().id;
    store.markInitialized(kept, "2025-06-18", R"({"roots":{}})", R"({"name":"x"})");
    stream = store.openRequestStream(kept, "[1]");
    for (int i = 0; i < 10; ++i) {
      seen_ids.insert(store.append(kept, stream, "message", std::to_string(i)));
    }
    const auto doomed = store.openRequestStream(deleted, "[1]");
    seen_ids.insert(store.append(deleted, doomed, "message", "{}"));
    store.removeSession(deleted);
  }
  mcpkeep::Store store(path, mcpkeep::test::testOptions());
  const auto s = store.session(kept);
  REQUIRE(s);
  CHECK(s->initialized);
  CHECK(s->protocol_version == "2025-06-18");
  CHECK(s->client_info == std::optional<std::string>(R"({"name":"x"})"));
  CHECK_FALSE(store.session(deleted));
  const auto events = store.events(kept);
  REQUIRE(events.size() == 10);
  for (int i = 0; i < 10; ++i) CHECK(events[i].data == std::to_string(i));

  // The reopened stream was interrupted; new streams and events get new ids,
  // even where a deleted session's ids came before.
  const auto next_stream = store.openRequestStream(kept, "[2]");
  CHECK(next_stream > stream);
  for (int i = 0; i < 10; ++i) {
    const auto id = store.append(kept, next_stream, "message", "{}");
    CHECK(seen_ids.insert(id).second);
  }
  const auto fresh = store.createSession().id;
  const auto id = store.append(fresh, store.standaloneStream(fresh), "message", "{}");
  CHECK(seen_ids.insert(id).second);
}
