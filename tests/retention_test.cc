// Retention: by count (trigger, also for the sqlite3 CLI), by age and idle
// expiry (maintenance job), cascades on session delete, gaps after eviction.
#include <catch2/catch.hpp>

#include <filesystem>

#include <SQLiteCpp/SQLiteCpp.h>

#include <mcpkeep/mcpkeep.h>

#include "helpers/error_matcher.h"
#include "helpers/store_fixture.h"

using namespace std::chrono_literals;

namespace {

struct Fixture : mcpkeep::test::StoreFixture {
  Fixture() : StoreFixture(0ms) {}
};

}  // namespace

TEST_CASE("the count trigger keeps the newest max_events events per session", "[backend]") {
  Fixture f;
  f.store.setRetention(mcpkeep::Retention().withMaxEvents(10));
  const auto a = f.store.createSession().id;
  const auto b = f.store.createSession().id;
  const auto sa = f.store.openRequestStream(a, "[1]");
  const auto sb = f.store.openRequestStream(b, "[1]");
  for (int i = 1; i <= 25; ++i) f.store.append(a, sa, "message", std::to_string(i));
  for (int i = 1; i <= 3; ++i) f.store.append(b, sb, "message", std::to_string(i));
  const auto events = f.store.events(a);
  REQUIRE(events.size() == 10);
  CHECK(events.front().data == "16");
  CHECK(events.back().data == "25");
  CHECK(f.store.eventCount(b) == 3);  // per session, not global
}

TEST_CASE("the count trigger also holds for rows inserted with the CLI", "[backend]") {
  Fixture f;
  const auto id = f.store.createSession().id;
  const auto stream = f.store.openRequestStream(id, "[1]");
  f.sql("UPDATE settings SET value = 3 WHERE name = 'max_events';");
  std::string inserts;
  for (int seq = 1; seq <= 6; ++seq) {
    inserts += "INSERT INTO events (session_id, stream_id, seq, type, data, created_at) VALUES ('" +
               id + "', " + std::to_string(stream) + ", " + std::to_string(seq) +
               ", 'message', '{\"n\":" + std::to_string(seq) + "}', 0);\n";
  }
  f.sql(inserts);
  const std::string seqs = mcpkeep::test::onPostgres() ? "string_agg(seq::text, ',' ORDER BY seq)"
                                                       : "group_concat(seq)";
  CHECK(f.sql("SELECT " + seqs + " FROM events WHERE session_id = '" + id + "';") == "4,5,6\n");
  // The CLI cannot reuse a seq either, and the library continues after it.
  const auto reuse = mcpkeep::test::runSql(
      f.path, "INSERT INTO events (session_id, stream_id, seq, type, data, created_at) VALUES ('" +
                  id + "', " + std::to_string(stream) + ", 2, 'message', '{}', 0);");
  CHECK(reuse.exit_code != 0);
  CHECK_THAT(reuse.output, Catch::Contains("seq must be greater"));
  CHECK(mcpkeep::EventId::parse(f.store.append(id, stream, "message", "{}"))->seq == 7);
}

TEST_CASE("the maintenance job deletes events older than max_age", "[backend]") {
  Fixture f;
  f.store.setRetention(mcpkeep::Retention().withMaxAge(60s).withSessionTimeout(24h));
  const auto id = f.store.createSession().id;
  const auto stream = f.store.openRequestStream(id, "[1]");
  const auto old_id = f.store.append(id, stream, "message", R"("old")");
  f.fake.advance(45s);
  f.store.append(id, stream, "message", R"("recent")");
  f.fake.advance(30s);  // the first is 75 s old, the second 30 s

  const auto report = f.store.runMaintenance();
  CHECK(report.events_expired == 1);
  const auto events = f.store.events(id);
  REQUIRE(events.size() == 1);
  CHECK(events[0].data == R"("recent")");
  // A client that saw only the priming event is told it missed one.
  const auto replay = f.store.eventsAfter(id, mcpkeep::EventId{stream, 0});
  CHECK(replay.gap);
  CHECK(replay.events.size() == 1);
  CHECK_FALSE(f.store.eventsAfter(id, old_id).gap);  // nothing after "old" is missing
}

TEST_CASE("the maintenance job deletes sessions idle longer than the session timeout", "[backend]") {
  Fixture f;
  f.store.setRetention(mcpkeep::Retention().withSessionTimeout(1h).withMaxAge(24h));
  const auto idle = f.store.createSession().id;
  const auto busy = f.store.createSession().id;
  f.store.append(idle, f.store.standaloneStream(idle), "message", "{}");
  f.fake.advance(50min);
  f.store.touchSession(busy);
  f.fake.advance(10min);  // idle: 60 min; busy: 10 min

  const auto report = f.store.runMaintenance();
  CHECK(report.sessions_expired == std::vector<std::string>{idle});
  CHECK_FALSE(f.store.session(idle));
  CHECK(f.store.session(busy));
  CHECK(f.sql("SELECT count(*) FROM events WHERE session_id = '" + idle + "';") == "0\n");
  CHECK(f.store.expireIdleSessions().empty());
}

TEST_CASE("deleting a session deletes its streams and events through the library or the CLI", "[backend]") {
  Fixture f;
  const auto keep = f.store.createSession().id;
  const auto gone = f.store.createSession().id;
  for (const auto& id : {keep, gone}) {
    const auto stream = f.store.openRequestStream(id, "[1]");
    for (int i = 0; i < 5; ++i) f.store.append(id, stream, "message", "{}");
  }
  const auto count = [&](const std::string& table, const std::string& id) {
    return f.sql("SELECT count(*) FROM " + table + " WHERE session_id = '" + id + "';");
  };

  SECTION("through the library") { CHECK(f.store.removeSession(gone)); }
  SECTION("through the CLI (sqlite3's with foreign keys off)") {
    f.sql(std::string(mcpkeep::test::onPostgres() ? "" : "PRAGMA foreign_keys = OFF; ") +
          "DELETE FROM sessions WHERE id = '" + gone + "';");
  }
  CHECK(count("streams", gone) == "0\n");
  CHECK(count("events", gone) == "0\n");
  CHECK(count("streams", keep) == "2\n");
  CHECK(count("events", keep) == "5\n");
}

TEST_CASE("clearing a session's events is a gap for resuming clients and seqs go on", "[backend]") {
  Fixture f;
  const auto id = f.store.createSession().id;
  const auto stream = f.store.openRequestStream(id, "[1]");
  const auto first = f.store.append(id, stream, "message", "{}");
  f.store.append(id, stream, "message", "{}");
  f.store.clearEvents(id);
  const auto replay = f.store.eventsAfter(id, first);
  CHECK(replay.gap);
  CHECK(replay.events.empty());
  CHECK(mcpkeep::EventId::parse(f.store.append(id, stream, "message", "{}"))->seq == 3);
}

TEST_CASE("maintenance gives freed pages back to the file system") {
  Fixture f;
  f.store.setRetention(mcpkeep::Retention().withMaxAge(1s).withMaxEvents(100000));
  const auto id = f.store.createSession().id;
  const auto stream = f.store.openRequestStream(id, "[1]");
  const std::string big = "\"" + std::string(2000, 'x') + "\"";
  for (int i = 0; i < 2000; ++i) f.store.append(id, stream, "message", big);
  f.store.runMaintenance();  // checkpoint: the data is in the main file now
  const auto pages_before = std::stoll(f.sql("PRAGMA page_count;"));
  f.fake.advance(10s);
  CHECK(f.store.runMaintenance().events_expired == 2000);
  const auto pages_after = std::stoll(f.sql("PRAGMA page_count;"));
  CHECK(pages_after < pages_before / 4);
  CHECK(f.sql("PRAGMA integrity_check;") == "ok\n");
}

TEST_CASE("under steady commits the WAL is copied back and stays bounded, with no maintenance run") {
  Fixture f;
  f.store.setRetention(mcpkeep::Retention().withMaxEvents(100000));
  const auto id = f.store.createSession().id;
  const auto stream = f.store.openRequestStream(id, "[1]");
  const std::string data = "\"" + std::string(100, 'x') + "\"";
  // ~3 pages per commit: ~36000 pages of WAL if nothing were copied back.
  for (int i = 0; i < 12000; ++i) f.store.append(id, stream, "message", data);
  const auto file_bytes = [](const std::string& p) { return std::filesystem::file_size(p); };
  const std::uintmax_t frame_bytes = 4096 + 24;
  CHECK(file_bytes(f.path + "-wal") < 11000 * frame_bytes);  // the writer's bound: 10000 pages
  CHECK(file_bytes(f.path) > 500 * 4096);                      // the events reached the main file
  CHECK(f.store.eventCount(id) == 12000);
  CHECK(f.sql("SELECT count(*) FROM events;") == "12000\n");
}

TEST_CASE("the maintenance job prunes closed request streams whose events are all gone", "[backend]") {
  Fixture f;
  f.store.setRetention(mcpkeep::Retention().withMaxAge(1s));
  const auto id = f.store.createSession().id;
  const auto emptied = f.store.openRequestStream(id, "[1]");
  const auto first = f.store.append(id, emptied, "message", "{}");
  f.store.closeStream(id, emptied);
  const auto still_open = f.store.openRequestStream(id, "[2]");
  f.fake.advance(5s);
  const auto recent = f.store.openRequestStream(id, "[3]");
  f.store.append(id, recent, "message", "{}");
  f.store.closeStream(id, recent);

  const auto report = f.store.runMaintenance();
  CHECK(report.events_expired == 1);
  CHECK(report.streams_pruned == 1);
  // Resuming the pruned stream is now an unknown id; the others remain.
  CHECK_ERROR(f.store.eventsAfter(id, first), mcpkeep::ErrorCode::kInvalidEventId);
  CHECK(f.store.eventsAfter(id, mcpkeep::EventId{still_open, 0}).stream.state == mcpkeep::StreamState::kOpen);
  CHECK(f.store.eventsAfter(id, mcpkeep::EventId{recent, 0}).events.size() == 1);
  CHECK(f.store.eventsAfter(id, mcpkeep::EventId{f.store.standaloneStream(id), 0}).events.empty());

  // A new stream never reuses the pruned one's id.
  CHECK(f.store.openRequestStream(id, "[4]") > recent);
  CHECK(f.store.runMaintenance().streams_pruned == 0);
}
