// The Store's API beyond the seed: initialization, updates, streams and
// their states, replay outcomes, and bad input.
#include <catch2/catch.hpp>

#include <set>

#include <mcpkeep/mcpkeep.h>

#include "helpers/error_matcher.h"
#include "helpers/backends.h"
#include "helpers/store_fixture.h"

using namespace std::chrono_literals;
using mcpkeep::ErrorCode;

namespace {

using Fixture = mcpkeep::test::StoreFixture;  // touch_interval 5 s

}  // namespace

TEST_CASE("session ids are 32 lowercase hex digits and never repeat", "[backend]") {
  Fixture f;
  std::set<std::string> ids;
  for (int i = 0; i < 200; ++i) {
    const auto id = f.store.createSession().id;
    REQUIRE(id.size() == 32);
    REQUIRE(id.find_first_not_of("0123456789abcdef") == std::string::npos);
    ids.insert(id);
  }
  CHECK(ids.size() == 200);
  CHECK(f.store.sessionCount() == 200);
  CHECK(f.store.sessions().size() == 200);
}

TEST_CASE("markInitialized stores the negotiated version and the client's JSON", "[backend]") {
  Fixture f;
  const auto id = f.store.createSession().id;
  f.store.markInitialized(id, "2025-11-25", R"({"sampling":{}})", R"({"name":"c","version":"1"})");
  const auto s = f.store.session(id);
  REQUIRE(s);
  CHECK(s->initialized);
  CHECK(s->protocol_version == "2025-11-25");
  CHECK(s->client_capabilities == std::optional<std::string>(R"({"sampling":{}})"));
  CHECK(s->client_info == std::optional<std::string>(R"({"name":"c","version":"1"})"));

  CHECK_ERROR(f.store.markInitialized(id, "2025-11-25", "{not json", ""),
              ErrorCode::kInvalidArgument);
  CHECK(f.store.session(id)->client_capabilities ==
        std::optional<std::string>(R"({"sampling":{}})"));  // unchanged
  CHECK_ERROR(f.store.markInitialized("nope", "2025-11-25", "", ""), ErrorCode::kNotFound);
}

TEST_CASE("updateSession changes fields atomically and a throwing change writes nothing", "[backend]") {
  Fixture f;
  const auto id = f.store.createSession().id;
  f.store.updateSession(id, [](mcpkeep::Session& s) {
    s.protocol_version = "2025-06-18";
    s.id = "someone-else";  // ignored: the id is not the caller's to change
  });
  CHECK(f.store.session(id)->protocol_version == "2025-06-18");

  CHECK_THROWS_AS(f.store.updateSession(id,
                                        [](mcpkeep::Session& s) {
                                          s.protocol_version = "x";
                                          throw std::runtime_error("changed my mind");
                                        }),
                  std::runtime_error);
  CHECK(f.store.session(id)->protocol_version == "2025-06-18");
  CHECK_ERROR(f.store.updateSession("nope", [](mcpkeep::Session&) {}), ErrorCode::kNotFound);
}

TEST_CASE("touches are coalesced: at most one write per touch interval", "[backend]") {
  Fixture f;  // touch_interval 5 s
  const auto id = f.store.createSession().id;
  const auto created = f.store.session(id)->created_at;
  f.fake.advance(1s);
  f.store.touchSession(id);
  CHECK(f.store.session(id)->last_active == created + 1s);
  f.fake.advance(2s);
  f.store.touchSession(id);  // within 5 s of the last write: not written
  CHECK(f.store.session(id)->last_active == created + 1s);
  f.fake.advance(4s);
  f.store.touchSession(id);
  CHECK(f.store.session(id)->last_active == created + 7s);
  CHECK_ERROR(f.store.touchSession("nope"), ErrorCode::kNotFound);
}

TEST_CASE("streams open and complete and list and appends need an open stream of the session", "[backend]") {
  Fixture f;
  const auto id = f.store.createSession().id;
  const auto stream = f.store.openRequestStream(id, R"([1, "two"])");
  auto info = f.store.stream(id, stream);
  REQUIRE(info);
  CHECK(info->kind == mcpkeep::StreamKind::kRequest);
  CHECK(info->state == mcpkeep::StreamState::kOpen);
  CHECK(info->request_ids == std::optional<std::string>(R"([1, "two"])"));
  CHECK(f.store.streams(id).size() == 2);  // the standalone one and this

  f.store.append(id, stream, "message", R"({"jsonrpc":"2.0","id":1,"result":{}})");
  f.store.closeStream(id, stream);
  f.store.closeStream(id, stream);  // closing twice is a no-op
  info = f.store.stream(id, stream);
  CHECK(info->state == mcpkeep::StreamState::kCompleted);
  CHECK(info->closed_at);
  CHECK_ERROR(f.store.append(id, stream, "message", "{}"), ErrorCode::kStreamClosed);
  CHECK_ERROR(f.store.closeStream(id, stream, mcpkeep::StreamState::kOpen),
              ErrorCode::kInvalidArgument);
  CHECK_ERROR(f.store.closeStream(id, 9999), ErrorCode::kNotFound);
  CHECK_ERROR(f.store.openRequestStream(id, R"({"not":"an array"})"),
              ErrorCode::kInvalidArgument);
  CHECK_ERROR(f.store.openRequestStream("nope", "[1]"), ErrorCode::kNotFound);
}

TEST_CASE("bad input to append is refused with a clear error and stores nothing", "[backend]") {
  Fixture f;
  const auto id = f.store.createSession().id;
  const auto other = f.store.createSession().id;
  const auto stream = f.store.openRequestStream(id, "[1]");
  const auto others_stream = f.store.openRequestStream(other, "[1]");

  CHECK_ERROR(f.store.append("nope", stream, "message", "{}"), ErrorCode::kNotFound);
  CHECK_ERROR(f.store.append(id, 424242, "message", "{}"), ErrorCode::kNotFound);
  CHECK_ERROR(f.store.append(id, others_stream, "message", "{}"), ErrorCode::kNotFound);
  CHECK_ERROR(f.store.append(id, stream, "message", "{\"truncated\":"),
              ErrorCode::kInvalidArgument);
  CHECK_ERROR(f.store.append(id, stream, "message", ""), ErrorCode::kInvalidArgument);
  CHECK_ERROR(f.store.append(id, stream, "", "{}"), ErrorCode::kInvalidArgument);
  CHECK_ERROR(f.store.append(id, stream, "mes\r\nsage", "{}"), ErrorCode::kInvalidArgument);
  CHECK(f.store.eventCount(id) == 0);
  CHECK(f.store.eventCount(other) == 0);

  // A failed append does not use up a seq.
  const auto first = f.store.append(id, stream, "message", "{}");
  CHECK(mcpkeep::EventId::parse(first)->seq == 1);
}

TEST_CASE("replay follows the three outcomes of the replay table", "[backend]") {
  Fixture f;
  f.store.setRetention(mcpkeep::Retention().withMaxEvents(5));
  const auto id = f.store.createSession().id;
  const auto stream = f.store.openRequestStream(id, "[1]");
  std::vector<std::string> ids;
  for (int i = 1; i <= 8; ++i) {
    ids.push_back(f.store.append(id, stream, "message", "{\"n\":" + std::to_string(i) + "}"));
  }

  SECTION("retained: the events after the id, no gap") {
    const auto r = f.store.eventsAfter(id, ids[5]);
    REQUIRE(r.events.size() == 2);
    CHECK(r.events[0].id == ids[6]);
    CHECK(r.events[1].id == ids[7]);
    CHECK_FALSE(r.gap);
    CHECK(r.stream.id == stream);
  }
  SECTION("evicted: what remains, with the gap flag") {
    const auto r = f.store.eventsAfter(id, ids[0]);  // events 2 and 3 are gone
    REQUIRE(r.events.size() == 5);
    CHECK(r.events.front().id == ids[3]);
    CHECK(r.gap);
    CHECK(f.store.eventsAfter(id, mcpkeep::EventId{stream, 0}).gap);  // from the priming id
    CHECK_FALSE(f.store.eventsAfter(id, ids[2]).gap);  // nothing after 3 is missing
  }
  SECTION("malformed or foreign: a distinct error, and no data") {
    const auto other = f.store.createSession().id;
    CHECK_ERROR(f.store.eventsAfter(other, ids[5]), ErrorCode::kInvalidEventId);
    CHECK_ERROR(f.store.eventsAfter(id, "not-an-id"), ErrorCode::kInvalidEventId);
    CHECK_ERROR(f.store.eventsAfter(id, std::to_string(stream) + "-999"),
                ErrorCode::kInvalidEventId);  // past the last event
    CHECK_ERROR(f.store.eventsAfter("nope", ids[5]), ErrorCode::kNotFound);
  }
  SECTION("limit pages through a stream") {
    const auto page = f.store.eventsAfter(id, ids[2], 2);
    REQUIRE(page.events.size() == 2);
    CHECK(page.events[1].id == ids[4]);
  }
}

TEST_CASE("a stream never replays another stream's events", "[backend]") {
  Fixture f;
  const auto id = f.store.createSession().id;
  const auto a = f.store.openRequestStream(id, "[1]");
  const auto b = f.store.openRequestStream(id, "[2]");
  const auto a1 = f.store.append(id, a, "message", R"("a1")");
  f.store.append(id, b, "message", R"("b1")");
  f.store.append(id, a, "message", R"("a2")");
  f.store.append(id, b, "message", R"("b2")");
  const auto r = f.store.eventsAfter(id, a1);
  REQUIRE(r.events.size() == 1);
  CHECK(r.events[0].data == R"("a2")");
  const auto from_start = f.store.eventsAfter(id, mcpkeep::EventId{b, 0});
  REQUIRE(from_start.events.size() == 2);
  CHECK(from_start.events[0].data == R"("b1")");
  CHECK(from_start.events[1].data == R"("b2")");
}

TEST_CASE("broadcast reaches the standalone stream of every session", "[backend]") {
  Fixture f;
  const auto a = f.store.createSession().id;
  const auto b = f.store.createSession().id;
  CHECK(f.store.broadcast("message", R"({"method":"notifications/tools/list_changed"})") == 2);
  for (const auto& id : {a, b}) {
    const auto r = f.store.eventsAfter(id, mcpkeep::EventId{f.store.standaloneStream(id), 0});
    REQUIRE(r.events.size() == 1);
    CHECK(r.events[0].data == R"({"method":"notifications/tools/list_changed"})");
  }
  CHECK_ERROR(f.store.broadcast("message", "{oops"), ErrorCode::kInvalidArgument);
  CHECK(f.store.eventCount(a) == 1);
}

TEST_CASE("the session count is one row kept right by whoever adds or removes sessions", "[backend]") {
  mcpkeep::test::TempDir dir;
  const std::string path = mcpkeep::test::newDatabase(dir, "count.db");
  mcpkeep::Store store(path, mcpkeep::test::testOptions());
  CHECK(store.sessionCount() == 0);
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(store.createSession().id);
  CHECK(store.sessionCount() == 5);
  CHECK(store.removeSession(ids[0]));
  CHECK_FALSE(store.removeSession(ids[0]));
  CHECK(store.sessionCount() == 4);
  // By hand, as an operator would: a delete and a bulk insert.
  const std::string thousand =
      mcpkeep::test::onPostgres()
          ? "SELECT lpad(to_hex(i), 32, '0'), 0, 0 FROM generate_series(1, 1000) i;"
          : "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) "
            "SELECT printf('%032x', i), 0, 0 FROM n;";
  const auto edited = mcpkeep::test::runSql(
      path, "DELETE FROM sessions WHERE id = '" + ids[1] + "';"
            "INSERT INTO sessions (id, created_at, last_active) " + thousand);
  INFO(edited.output);
  REQUIRE(edited.exit_code == 0);
  CHECK(store.sessionCount() == 1003);
  // Idle expiry removes the 1000 made at time 0.
  CHECK(store.expireIdleSessions().size() == 1000);
  CHECK(store.sessionCount() == 3);
  CHECK(mcpkeep::test::runSql(path, "SELECT CASE WHEN value = (SELECT count(*) FROM sessions) THEN 1 END FROM counters "
                                    "WHERE name = 'sessions';").output == "1\n");
}
