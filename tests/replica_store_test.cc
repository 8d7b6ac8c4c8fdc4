// The Store's replica API on each backend: who owns a stream, who claims
// the streams of a replica that is gone, and the messages one replica
// leaves for another (a client's answer that reached the wrong replica).
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <memory>
#include <thread>

#include <mcpkeep/mcpkeep.h>

#include "helpers/backends.h"
#include "helpers/temp_dir.h"

namespace {

using Messages = std::vector<std::pair<std::string, std::string>>;

// Several Stores (replicas) on one fresh database.
struct Replicas {
  mcpkeep::test::TempDir dir;
  std::string path = mcpkeep::test::newDatabase(dir, "replicas.db");
  std::unique_ptr<mcpkeep::Store> open() {
    return std::make_unique<mcpkeep::Store>(path, mcpkeep::test::testOptions());
  }
};

std::vector<mcpkeep::StreamId> ids(const std::vector<mcpkeep::Stream>& streams) {
  std::vector<mcpkeep::StreamId> out;
  for (const auto& s : streams) out.push_back(s.id);
  return out;
}

}  // namespace

TEST_CASE("the open streams of a replica that is gone are claimed by one survivor, a live one's by none", "[backend]") {
  Replicas db;
  auto a = db.open();
  auto b = db.open();
  auto c = db.open();
  CHECK(a->replicaId() != b->replicaId());
  const auto session = a->createSession().id;
  const auto first = a->openRequestStream(session, "[1]");
  const auto second = a->openRequestStream(session, "[2]");
  a->closeStream(session, second, mcpkeep::StreamState::kCompleted);
  const auto on_b = b->openRequestStream(session, "[3]");

  CHECK(c->claimOrphanedStreams().empty());  // A and B live
  a.reset();                                  // A leaves
  CHECK(ids(c->claimOrphanedStreams()) == std::vector<mcpkeep::StreamId>{first});  // not the completed one
  CHECK(b->claimOrphanedStreams().empty());   // claimed once
  CHECK(ids(c->claimOrphanedStreams(true)) == std::vector<mcpkeep::StreamId>{on_b});  // "every other is dead"
}

TEST_CASE("a message left for a stream's owner is taken by that replica once, oldest first", "[backend]") {
  Replicas db;
  auto a = db.open();
  auto b = db.open();
  const auto session = a->createSession().id;
  const auto stream = a->openRequestStream(session, "[7]");

  CHECK(b->leaveForStreamOwner(session, stream, R"({"jsonrpc":"2.0","id":"mcpkeep-1-1","result":{}})"));
  CHECK(b->leaveForStreamOwner(session, stream, R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":7}})"));
  CHECK_FALSE(a->leaveForStreamOwner(session, stream, "{}"));          // its own stream
  CHECK_FALSE(b->leaveForStreamOwner("no-such-session", stream, "{}"));  // not this session's stream
  CHECK(b->takeMessages().empty());                                     // not B's

  const Messages taken = a->takeMessages();
  REQUIRE(taken.size() == 2);
  CHECK(taken[0] == std::make_pair(session, std::string(R"({"jsonrpc":"2.0","id":"mcpkeep-1-1","result":{}})")));
  CHECK(taken[1].first == session);
  CHECK_THAT(taken[1].second, Catch::Contains("notifications/cancelled"));
  CHECK(a->takeMessages().empty());  // once

  a->closeStream(session, stream, mcpkeep::StreamState::kCompleted);
  CHECK_FALSE(b->leaveForStreamOwner(session, stream, "{}"));  // nobody waits on a closed stream
}

TEST_CASE("messages left for a replica that is gone are deleted by the claimer, and with their session", "[backend]") {
  Replicas db;
  auto a = db.open();
  auto b = db.open();
  const auto kept = a->createSession().id;
  const auto deleted = a->createSession().id;
  const auto stream = a->openRequestStream(kept, "[1]");
  const auto other = a->openRequestStream(deleted, "[1]");
  REQUIRE(b->leaveForStreamOwner(kept, stream, R"({"n":1})"));
  REQUIRE(b->leaveForStreamOwner(deleted, other, R"({"n":2})"));
  CHECK(b->removeSession(deleted));
  const Messages taken = a->takeMessages();
  REQUIRE(taken.size() == 1);
  CHECK(taken[0].first == kept);

  REQUIRE(b->leaveForStreamOwner(kept, stream, R"({"n":3})"));
  a.reset();
  CHECK(ids(b->claimOrphanedStreams()) == std::vector<mcpkeep::StreamId>{stream});
  CHECK(mcpkeep::test::runSql(db.path, "SELECT count(*) FROM replica_messages").output == "0\n");
}

TEST_CASE("on PostgreSQL a replica's change feed says when messages were left for it, and only for it", "[postgres]") {
  Replicas db;
  db.path = mcpkeep::test::newPostgresDatabase();  // a file's feed says it only with `everything`
  auto a = db.open();
  auto b = db.open();
  auto c = db.open();
  struct Heard {
    bool messages = false, everything = false;
  };
  // Reads a replica's feed until it names `session` (whose events were
  // appended after what is looked for); what the feed said meanwhile.
  const auto hear = [](mcpkeep::Store& store, mcpkeep::Store::ChangeMark& mark, const std::string& session) {
    Heard heard;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
      const auto changes = store.changesSince(mark);
      heard.messages = heard.messages || changes.messages;
      heard.everything = heard.everything || changes.everything;
      if (std::count(changes.sessions.begin(), changes.sessions.end(), session) > 0) return heard;
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  };
  const auto appendTo = [&b](const std::string& session) {
    b->append(session, b->standaloneStream(session), "message", "{}");
  };
  mcpkeep::Store::ChangeMark on_a, on_c;
  a->changesSince(on_a);
  c->changesSince(on_c);
  const auto session = a->createSession().id;
  const auto stream = a->openRequestStream(session, "[1]");
  appendTo(session);
  hear(*a, on_a, session);  // what A and C heard at start is behind them now
  hear(*c, on_c, session);

  REQUIRE(b->leaveForStreamOwner(session, stream, R"({"n":1})"));
  const auto later = b->createSession().id;
  appendTo(later);
  CHECK(hear(*a, on_a, later).messages);
  const Heard by_c = hear(*c, on_c, later);
  CHECK(by_c.messages == by_c.everything);  // only "look at everything" says it to C
}
