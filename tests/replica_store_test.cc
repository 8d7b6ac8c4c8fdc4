// The Store's replica API on each backend: who owns a stream, who claims
// the streams of a replica that is gone, and the messages one replica
// leaves for another (a client's answer that reached the wrong replica).
#include <catch2/catch.hpp>

#include <memory>

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
