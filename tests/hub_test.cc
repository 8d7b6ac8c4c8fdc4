// Live delivery: replay then live with no gap or duplicate at the switch,
// slow subscribers, many subscribers, ends and shutdown.
#include <catch2/catch.hpp>

#include <thread>

#include <mcpkeep/mcpkeep.h>
#include <nlohmann/json.hpp>

#include "helpers/error_matcher.h"
#include "helpers/backends.h"
#include "helpers/temp_dir.h"

using namespace std::chrono_literals;
using Kind = mcpkeep::Delivery::Kind;

namespace {

struct Fixture {
  mcpkeep::test::TempDir dir;
  std::string path = mcpkeep::test::newDatabase(dir, "hub.db");
  mcpkeep::Store store{path, mcpkeep::test::testOptions()};
  mcpkeep::Hub hub{store};
  std::string session = store.createSession().id;
  mcpkeep::StreamId stream = store.openRequestStream(session, "[1]");

  std::string publish(int n) {
    return hub.publish(session, stream, "message", "{\"n\":" + std::to_string(n) + "}");
  }
};

// Collects events until `count` are seen; fails on anything else.
std::vector<std::string> take(mcpkeep::Subscription& s, std::size_t count) {
  std::vector<std::string> data;
  while (data.size() < count) {
    const auto d = s.next(10s);
    INFO("delivery kind " << static_cast<int>(d.kind));
    REQUIRE(d.kind == Kind::kEvent);
    data.push_back(d.event.data);
  }
  return data;
}

std::vector<std::string> numbers(int from, int to) {
  std::vector<std::string> out;
  for (int n = from; n <= to; ++n) out.push_back("{\"n\":" + std::to_string(n) + "}");
  return out;
}

// A hub whose watcher looks for other processes' writes every 20 ms.
mcpkeep::HubOptions watchingOften() {
  mcpkeep::HubOptions options;
  options.poll_interval = 20ms;
  return options;
}

}  // namespace

TEST_CASE("a subscription replays stored events then delivers live ones with no gap or duplicate", "[backend]") {
  Fixture f;
  f.publish(1);
  const auto second = f.publish(2);
  f.publish(3);
  auto sub = f.hub.subscribe(f.session, second);
  CHECK(sub.streamId() == f.stream);

  std::thread publisher([&] {
    for (int n = 4; n <= 200; ++n) f.publish(n);
  });
  const auto got = take(sub, 198);
  publisher.join();
  CHECK(got == numbers(3, 200));
  CHECK(sub.next(0ms).kind == Kind::kTimeout);
  CHECK(sub.lastEventId() == mcpkeep::EventId{f.stream, 200}.toString());
}

TEST_CASE("a completed stream ends its subscriptions after its last event", "[backend]") {
  Fixture f;
  auto sub = f.hub.subscribe(f.session, mcpkeep::EventId{f.stream, 0});
  f.publish(1);
  f.publish(2);
  f.hub.closeStream(f.session, f.stream);
  CHECK(take(sub, 2) == numbers(1, 2));
  const auto end = sub.next(5s);
  CHECK(end.kind == Kind::kStreamEnded);
  CHECK(end.stream_state == mcpkeep::StreamState::kCompleted);
  CHECK(sub.next(0ms).kind == Kind::kStreamEnded);
}

TEST_CASE("following a stream just opened delivers all of it, also what came before the first read", "[backend]") {
  Fixture f;
  auto sub = f.hub.follow(f.session, f.stream);
  f.publish(1);
  f.hub.publishAndClose(f.session, f.stream, "message", "{\"n\":2}");
  CHECK(take(sub, 2) == numbers(1, 2));
  CHECK(sub.next(5s).kind == Kind::kStreamEnded);
}

TEST_CASE("following a stream that is gone by the first read ends without events", "[backend]") {
  Fixture f;
  auto sub = f.hub.follow(f.session, f.stream);
  f.publish(1);
  REQUIRE(f.hub.removeSession(f.session));
  const auto end = sub.next(5s);
  CHECK(end.kind == Kind::kStreamEnded);
  CHECK(end.session_gone);
}

TEST_CASE("a slow subscriber loses nothing retained and is told when it fell behind", "[backend]") {
  Fixture f;
  f.store.setRetention(mcpkeep::Retention().withMaxEvents(10));
  mcpkeep::HubOptions options;
  options.read_batch = 4;
  mcpkeep::Hub hub(f.store, options);
  auto sub = hub.subscribe(f.session, mcpkeep::EventId{f.stream, 0});
  for (int n = 1; n <= 5; ++n) f.publish(n);
  CHECK(take(sub, 2) == numbers(1, 2));  // has read ahead 1..4
  for (int n = 6; n <= 30; ++n) f.publish(n);  // retention keeps 21..30

  CHECK(take(sub, 2) == numbers(3, 4));  // already read: still delivered
  CHECK(sub.next(5s).kind == Kind::kGap);
  CHECK(take(sub, 10) == numbers(21, 30));
  CHECK(sub.next(0ms).kind == Kind::kTimeout);
}

TEST_CASE("resuming from an evicted id signals the gap first and then what remains", "[backend]") {
  Fixture f;
  f.store.setRetention(mcpkeep::Retention().withMaxEvents(3));
  const auto first = f.publish(1);
  for (int n = 2; n <= 6; ++n) f.publish(n);
  auto sub = f.hub.subscribe(f.session, first);
  CHECK(sub.next(5s).kind == Kind::kGap);
  CHECK(take(sub, 3) == numbers(4, 6));
}

TEST_CASE("a bad Last-Event-ID fails at subscribe before anything is delivered", "[backend]") {
  Fixture f;
  const auto other = f.store.createSession().id;
  const auto others = f.hub.publish(other, "message", "{}");
  CHECK_ERROR(f.hub.subscribe(f.session, others), mcpkeep::ErrorCode::kInvalidEventId);
  CHECK_ERROR(f.hub.subscribe(f.session, "garbage"), mcpkeep::ErrorCode::kInvalidEventId);
  CHECK_ERROR(f.hub.subscribe("nope", mcpkeep::EventId{f.stream, 0}),
              mcpkeep::ErrorCode::kNotFound);
}

TEST_CASE("any number of subscribers of one stream each get every event", "[backend]") {
  Fixture f;
  std::vector<mcpkeep::Subscription> subs;
  for (int i = 0; i < 20; ++i) subs.push_back(f.hub.subscribe(f.session, mcpkeep::EventId{f.stream, 0}));
  for (int n = 1; n <= 50; ++n) f.publish(n);
  for (auto& s : subs) CHECK(take(s, 50) == numbers(1, 50));
}

TEST_CASE("broadcast reaches subscribers of every session's standalone stream", "[backend]") {
  Fixture f;
  const auto other = f.store.createSession().id;
  auto a = f.hub.subscribe(f.session, mcpkeep::EventId{f.store.standaloneStream(f.session), 0});
  auto b = f.hub.subscribe(other, mcpkeep::EventId{f.store.standaloneStream(other), 0});
  CHECK(f.hub.broadcast("message", R"({"method":"notifications/resources/list_changed"})") == 2);
  CHECK(take(a, 1) == std::vector<std::string>{R"({"method":"notifications/resources/list_changed"})"});
  CHECK(take(b, 1) == std::vector<std::string>{R"({"method":"notifications/resources/list_changed"})"});
}

TEST_CASE("shutdown wakes every waiting subscriber and ends it", "[backend]") {
  Fixture f;
  std::vector<std::thread> waiters;
  std::atomic<int> shut_down{0};
  std::vector<mcpkeep::Subscription> subs;
  for (int i = 0; i < 4; ++i) subs.push_back(f.hub.subscribe(f.session, mcpkeep::EventId{f.stream, 0}));
  for (auto& s : subs) {
    waiters.emplace_back([&s, &shut_down] {
      // Waits far longer than the test may take: only shutdown can end it.
      if (s.next(std::chrono::hours(1)).kind == Kind::kShutdown) ++shut_down;
    });
  }
  f.hub.shutdown();
  for (auto& t : waiters) t.join();
  CHECK(shut_down == 4);
  CHECK(subs[0].next(0ms).kind == Kind::kShutdown);
}

TEST_CASE("the hub's watcher rings for events, closed streams and deleted sessions of another process", "[backend]") {
  Fixture f;
  mcpkeep::Hub hub(f.store, watchingOften());
  // Another Store on the same file stands for another process: it rings no
  // doorbell of this hub. Subscribers do not poll: each wait below is ended
  // by the watcher's ring, or fails after 10 s.
  mcpkeep::Store other(f.path, mcpkeep::test::testOptions());
  const std::string second = f.store.createSession().id;
  auto standalone = hub.subscribe(second, mcpkeep::EventId{f.store.standaloneStream(second), 0});
  auto sub = hub.subscribe(f.session, mcpkeep::EventId{f.stream, 0});
  std::thread writer([&] { other.append(f.session, f.stream, "message", R"({"n":1})"); });
  CHECK(take(sub, 1) == numbers(1, 1));
  writer.join();

  // A close without an event leaves no row the watcher can name: it rings all.
  other.closeStream(f.session, f.stream);
  CHECK(sub.next(10s).kind == Kind::kStreamEnded);

  // (This process writes nothing meanwhile: commits of both kinds in one
  // look would only be told apart by the sweep every 30 s.)
  CHECK(standalone.next(0ms).kind == Kind::kTimeout);
  other.removeSession(second);
  const auto ended = standalone.next(10s);
  CHECK(ended.kind == Kind::kStreamEnded);
  CHECK(ended.session_gone);
}

TEST_CASE("Store::changesSince names the sessions that gained events and flags other changes") {
  Fixture f;
  mcpkeep::Store other(f.path, mcpkeep::test::testOptions());
  const std::string second = f.store.createSession().id;
  mcpkeep::Store::ChangeMark mark;
  CHECK(f.store.changesSince(mark).sessions.empty());  // the first look takes note

  auto changes = f.store.changesSince(mark);
  CHECK(changes.sessions.empty());
  CHECK_FALSE(changes.everything);

  f.publish(1);  // our own commit: named, nothing else to look at
  changes = f.store.changesSince(mark);
  CHECK(changes.sessions == std::vector<std::string>{f.session});
  CHECK_FALSE(changes.everything);

  other.append(second, other.standaloneStream(second), "message", "{}");  // someone else's event
  changes = f.store.changesSince(mark);
  CHECK(changes.sessions == std::vector<std::string>{second});
  CHECK_FALSE(changes.everything);

  other.closeStream(f.session, f.stream);  // someone else's change without an event
  changes = f.store.changesSince(mark);
  CHECK(changes.sessions.empty());
  CHECK(changes.everything);

  changes = f.store.changesSince(mark);  // nothing since
  CHECK(changes.sessions.empty());
  CHECK_FALSE(changes.everything);
}

TEST_CASE("disconnect makes one subscriber let go after what is stored and the stream goes on", "[backend]") {
  Fixture f;
  f.publish(1);
  // Requested before anyone subscribed: the next subscriber takes it.
  f.hub.disconnect(f.session, f.stream);
  auto first = f.hub.subscribe(f.session, mcpkeep::EventId{f.stream, 0});
  CHECK(take(first, 1) == numbers(1, 1));
  CHECK(first.next(5s).kind == Kind::kDisconnect);

  // Taken once: the client's next connection resumes and stays.
  f.publish(2);
  auto resumed = f.hub.subscribe(f.session, first.lastEventId());
  CHECK(take(resumed, 1) == numbers(2, 2));
  CHECK(resumed.next(0ms).kind == Kind::kTimeout);

  // A live subscriber is woken by the request.
  std::thread later([&] { f.hub.disconnect(f.session, f.stream); });
  CHECK(resumed.next(5s).kind == Kind::kDisconnect);
  later.join();

  // Closing the stream drops a request no one took.
  f.hub.disconnect(f.session, f.stream);
  f.hub.closeStream(f.session, f.stream);
  auto after_close = f.hub.subscribe(f.session, mcpkeep::EventId{f.stream, 0});
  CHECK(take(after_close, 2) == numbers(1, 2));
  CHECK(after_close.next(5s).kind == Kind::kStreamEnded);
}

TEST_CASE("publishers in this process and another, racing on one session's streams: each subscriber gets its stream's events once and in order", "[backend]") {
  // Events published here are delivered from memory, the other process's
  // from the store; out-of-order rings and seqs written elsewhere leave
  // holes the memory path must not paper over.
  Fixture f;
  mcpkeep::Hub hub(f.store, watchingOften());
  mcpkeep::Store other(f.path, mcpkeep::test::testOptions());
  constexpr int kStreams = 3;
  constexpr int kPerPublisher = 150;
  std::vector<mcpkeep::StreamId> streams;
  std::vector<mcpkeep::Subscription> subs;
  for (int i = 0; i < kStreams; ++i) {
    streams.push_back(f.store.openRequestStream(f.session, "[" + std::to_string(10 + i) + "]"));
    subs.push_back(hub.follow(f.session, streams.back()));
  }
  // Per stream: two publishers here and one in the other process, each
  // numbering its own events; a stream's events must come in each
  // publisher's order.
  std::vector<std::thread> publishers;
  for (int i = 0; i < kStreams; ++i) {
    for (int p = 0; p < 3; ++p) {
      publishers.emplace_back([&, i, p] {
        for (int n = 1; n <= kPerPublisher; ++n) {
          const std::string data = "{\"p\":" + std::to_string(p) + ",\"n\":" + std::to_string(n) + "}";
          if (p == 2) other.append(f.session, streams[i], "message", data);
          else hub.publish(f.session, streams[i], "message", data);
        }
      });
    }
  }
  std::vector<std::thread> readers;
  std::vector<std::string> problems(kStreams);
  for (int i = 0; i < kStreams; ++i) {
    readers.emplace_back([&, i] {
      int next_n[3] = {1, 1, 1};
      int64_t last_seq = 0;
      for (int got = 0; got < 3 * kPerPublisher; ++got) {
        const auto d = subs[i].next(10s);
        if (d.kind != Kind::kEvent) {
          problems[i] = "delivery kind " + std::to_string(static_cast<int>(d.kind)) + " after " + std::to_string(got);
          return;
        }
        const auto event = nlohmann::json::parse(d.event.data);
        const int p = event["p"].get<int>();
        const int n = event["n"].get<int>();
        if (d.event.stream_id != streams[i] || d.event.seq <= last_seq || n != next_n[p]) {
          problems[i] = "out of order or foreign: " + d.event.data + " seq " + std::to_string(d.event.seq);
          return;
        }
        last_seq = d.event.seq;
        ++next_n[p];
      }
      if (subs[i].next(0ms).kind != Kind::kTimeout) problems[i] = "more than was published";
    });
  }
  for (auto& t : publishers) t.join();
  for (auto& t : readers) t.join();
  for (int i = 0; i < kStreams; ++i) {
    INFO("stream " << i);
    CHECK(problems[i].empty());
    INFO(problems[i]);
  }
}
