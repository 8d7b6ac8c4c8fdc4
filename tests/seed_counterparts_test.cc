// One test here for each test of ../shared/seed/session.rs, against a real
// file. Where the seed's behaviour was a bug (an unknown id replays
// everything), the counterpart asserts the fix.
#include <catch2/catch.hpp>

#include <chrono>

#include <mcpkeep/mcpkeep.h>

#include "helpers/error_matcher.h"
#include "helpers/store_fixture.h"

using namespace std::chrono_literals;
using mcpkeep::ErrorCode;

namespace {

struct Fixture : mcpkeep::test::StoreFixture {
  Fixture() : StoreFixture(0ms) {}

  // A session with one open request stream, as the seed's EventStore.
  std::pair<std::string, mcpkeep::StreamId> sessionWithStream() {
    auto s = store.createSession();
    return {s.id, store.openRequestStream(s.id, "[1]")};
  }
};

std::vector<std::string> dataOf(const std::vector<mcpkeep::Event>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.data);
  return out;
}

}  // namespace

TEST_CASE("seed test_session_creation: a new session is uninitialized and has no capabilities") {
  Fixture f;
  const mcpkeep::Session s = f.store.createSession();
  CHECK(s.id.size() == 32);
  CHECK_FALSE(s.initialized);
  CHECK_FALSE(s.client_capabilities);
  CHECK(s.created_at == s.last_active);
  const auto stored = f.store.session(s.id);
  REQUIRE(stored);
  CHECK(stored->id == s.id);
  CHECK_FALSE(stored->initialized);
  CHECK_FALSE(stored->client_capabilities);
}

TEST_CASE("seed test_session_expiry: a session idle past the timeout is expired") {
  Fixture f;
  mcpkeep::Session s = f.store.createSession();
  CHECK_FALSE(s.isExpired(60s, s.last_active));
  CHECK_FALSE(s.isExpired(60s, s.last_active + 59s));
  CHECK(s.isExpired(60s, s.last_active + 120s));
}

TEST_CASE("seed test_session_store: create then get then touch then remove") {
  Fixture f;
  const auto id = f.store.createSession().id;
  REQUIRE(f.store.session(id));
  f.fake.advance(10s);
  f.store.touchSession(id);
  CHECK(f.store.session(id)->last_active == f.store.session(id)->created_at + 10s);
  CHECK(f.store.removeSession(id));
  CHECK_FALSE(f.store.session(id));
  CHECK_FALSE(f.store.removeSession(id));
}

TEST_CASE("seed test_session_manager: a subscriber receives what is published and nothing after removal") {
  Fixture f;
  mcpkeep::Hub hub(f.store);
  const auto id = f.store.createSession().id;
  const auto standalone = f.store.standaloneStream(id);
  auto subscription = hub.subscribe(id, mcpkeep::EventId{standalone, 0});

  hub.publish(id, "message", R"("test message")");
  const auto delivery = subscription.next(5s);
  REQUIRE(delivery.kind == mcpkeep::Delivery::Kind::kEvent);
  CHECK(delivery.event.data == R"("test message")");

  CHECK(hub.removeSession(id));
  CHECK_ERROR(hub.publish(id, "message", R"("another")"), ErrorCode::kNotFound);
  const auto ended = subscription.next(5s);
  CHECK(ended.kind == mcpkeep::Delivery::Kind::kStreamEnded);
  CHECK(ended.session_gone);
}

TEST_CASE("seed test_event_store_creation: a new session has no events") {
  Fixture f;
  const auto id = f.store.createSession().id;
  CHECK(f.store.events(id).empty());
  CHECK(f.store.eventCount(id) == 0);
}

TEST_CASE("seed test_event_store_store_and_retrieve: events come back in order") {
  Fixture f;
  auto [id, stream] = f.sessionWithStream();
  const auto e1 = f.store.append(id, stream, "message", R"("data1")");
  const auto e2 = f.store.append(id, stream, "message", R"("data2")");
  const auto e3 = f.store.append(id, stream, "message", R"("data3")");
  CHECK(f.store.eventCount(id) == 3);
  const auto all = f.store.events(id);
  REQUIRE(all.size() == 3);
  CHECK(all[0].id == e1);
  CHECK(all[1].id == e2);
  CHECK(all[2].id == e3);
}

TEST_CASE("seed test_event_store_get_events_after: replay after each id and refuse an unknown id") {
  Fixture f;
  auto [id, stream] = f.sessionWithStream();
  const auto e1 = f.store.append(id, stream, "message", R"("data1")");
  const auto e2 = f.store.append(id, stream, "message", R"("data2")");
  const auto e3 = f.store.append(id, stream, "message", R"("data3")");

  CHECK(dataOf(f.store.eventsAfter(id, e1).events) ==
        std::vector<std::string>{R"("data2")", R"("data3")"});
  CHECK(dataOf(f.store.eventsAfter(id, e2).events) == std::vector<std::string>{R"("data3")"});
  CHECK(f.store.eventsAfter(id, e3).events.empty());
  CHECK_FALSE(f.store.eventsAfter(id, e1).gap);

  // The seed returned every event for an unknown id; that leaks other
  // streams' events. Here it is an error.
  CHECK_ERROR(f.store.eventsAfter(id, "unknown"), ErrorCode::kInvalidEventId);
  CHECK_ERROR(f.store.eventsAfter(id, "999-1"), ErrorCode::kInvalidEventId);
}

TEST_CASE("seed test_event_store_auto_id: generated ids are distinct and well-formed") {
  Fixture f;
  auto [id, stream] = f.sessionWithStream();
  const auto id1 = f.store.append(id, stream, "message", R"("data1")");
  const auto id2 = f.store.append(id, stream, "message", R"("data2")");
  CHECK(mcpkeep::EventId::parse(id1));
  CHECK(mcpkeep::EventId::parse(id2));
  CHECK(id1 != id2);
  CHECK(mcpkeep::EventId::parse(id1)->stream == stream);
  CHECK(f.store.eventCount(id) == 2);
}

TEST_CASE("seed test_event_store_max_events_limit: the oldest event is evicted") {
  Fixture f;
  f.store.setRetention(mcpkeep::Retention().withMaxEvents(3));
  auto [id, stream] = f.sessionWithStream();
  std::vector<std::string> ids;
  for (int i = 1; i <= 4; ++i) {
    ids.push_back(f.store.append(id, stream, "message", "\"data" + std::to_string(i) + "\""));
  }
  CHECK(f.store.eventCount(id) == 3);
  const auto all = f.store.events(id);
  REQUIRE(all.size() == 3);
  CHECK(all[0].id == ids[1]);
  CHECK(all[1].id == ids[2]);
  CHECK(all[2].id == ids[3]);
}

TEST_CASE("seed test_event_store_clear: clearing leaves no events") {
  Fixture f;
  auto [id, stream] = f.sessionWithStream();
  f.store.append(id, stream, "message", R"("data1")");
  f.store.append(id, stream, "message", R"("data2")");
  CHECK(f.store.eventCount(id) == 2);
  f.store.clearEvents(id);
  CHECK(f.store.events(id).empty());
  CHECK(f.store.eventCount(id) == 0);
}

TEST_CASE("seed test_session_manager_with_event_store: a new session has an empty standalone stream") {
  Fixture f;
  const auto id = f.store.createSession().id;
  const auto standalone = f.store.standaloneStream(id);
  const auto stream = f.store.stream(id, standalone);
  REQUIRE(stream);
  CHECK(stream->kind == mcpkeep::StreamKind::kStandalone);
  CHECK(stream->state == mcpkeep::StreamState::kOpen);
  CHECK(f.store.eventsAfter(id, mcpkeep::EventId{standalone, 0}).events.empty());
}

TEST_CASE("seed test_session_manager_send_with_storage: published events are delivered and stored") {
  Fixture f;
  mcpkeep::Hub hub(f.store);
  const auto id = f.store.createSession().id;
  auto subscription = hub.subscribe(id, mcpkeep::EventId{f.store.standaloneStream(id), 0});
  const auto event_id = hub.publish(id, "message", R"("test data")");
  CHECK(mcpkeep::EventId::parse(event_id));

  const auto delivery = subscription.next(5s);
  REQUIRE(delivery.kind == mcpkeep::Delivery::Kind::kEvent);
  CHECK(delivery.event.data == R"("test data")");
  CHECK(delivery.event.id == event_id);

  const auto all = f.store.events(id);
  REQUIRE(all.size() == 1);
  CHECK(all[0].data == R"("test data")");
  CHECK(all[0].type == "message");
}

TEST_CASE("seed test_session_manager_replay: replay after the second event gives the third") {
  Fixture f;
  mcpkeep::Hub hub(f.store);
  const auto id = f.store.createSession().id;
  hub.publish(id, "message", R"("msg1")");
  const auto evt2 = hub.publish(id, "message", R"("msg2")");
  hub.publish(id, "message", R"("msg3")");
  const auto replay = f.store.eventsAfter(id, evt2);
  REQUIRE(replay.events.size() == 1);
  CHECK(replay.events[0].data == R"("msg3")");
}

TEST_CASE("seed test_event_store_config: defaults and builders") {
  const mcpkeep::Retention defaults;
  CHECK(defaults.max_events == 1000);
  CHECK(defaults.max_age == 300s);
  CHECK(defaults.session_timeout == 1h);

  const auto custom = mcpkeep::Retention().withMaxEvents(500).withMaxAge(120s)
                          .withMaxEvents(600).withMaxAge(180s);
  CHECK(custom.max_events == 600);
  CHECK(custom.max_age == 180s);

  Fixture f;  // a new file starts with the defaults, and keeps what is set
  CHECK(f.store.retention() == defaults);
  f.store.setRetention(custom);
  CHECK(f.store.retention() == custom);
}

TEST_CASE("seed test_stored_event: an event keeps its id and type and data") {
  Fixture f;
  auto [id, stream] = f.sessionWithStream();
  const auto event_id = f.store.append(id, stream, "message", R"("test data")");
  const auto all = f.store.events(id);
  REQUIRE(all.size() == 1);
  CHECK(all[0].id == event_id);
  CHECK(all[0].type == "message");
  CHECK(all[0].data == R"("test data")");
  CHECK(all[0].session_id == id);
  CHECK(all[0].stream_id == stream);
}
