// Resource subscriptions in the store: durable session state that goes with
// the session, and the migration that added them.
#include <catch2/catch.hpp>

#include <algorithm>

#include <mcpkeep/mcpkeep.h>

#include "helpers/error_matcher.h"
#include "helpers/store_fixture.h"

using Strings = std::vector<std::string>;

TEST_CASE("resource subscriptions are per session, idempotent and removable") {
  mcpkeep::test::StoreFixture f;
  const auto a = f.store.createSession().id;
  const auto b = f.store.createSession().id;
  f.store.subscribeResource(a, "test://one");
  f.store.subscribeResource(a, "test://one");  // again: no error, no duplicate
  f.store.subscribeResource(b, "test://one");
  f.store.subscribeResource(b, "test://two");
  Strings both = {a, b};
  std::sort(both.begin(), both.end());
  CHECK(f.store.resourceSubscribers("test://one") == both);
  CHECK(f.store.resourceSubscribers("test://two") == Strings{b});
  CHECK(f.store.resourceSubscribers("test://none").empty());

  CHECK(f.store.unsubscribeResource(a, "test://one"));
  CHECK_FALSE(f.store.unsubscribeResource(a, "test://one"));
  CHECK(f.store.resourceSubscribers("test://one") == Strings{b});

  CHECK_ERROR(f.store.subscribeResource("no-such-session", "test://one"), mcpkeep::ErrorCode::kNotFound);
  CHECK_ERROR(f.store.subscribeResource(a, ""), mcpkeep::ErrorCode::kInvalidArgument);
}

TEST_CASE("a session's subscriptions go with it, also when deleted with the sqlite3 CLI") {
  mcpkeep::test::StoreFixture f;
  const auto a = f.store.createSession().id;
  const auto b = f.store.createSession().id;
  f.store.subscribeResource(a, "test://r");
  f.store.subscribeResource(b, "test://r");
  REQUIRE(f.store.removeSession(a));
  CHECK(f.store.resourceSubscribers("test://r") == Strings{b});
  f.sql("DELETE FROM sessions WHERE id = '" + b + "';");
  CHECK(f.store.resourceSubscribers("test://r").empty());
  CHECK(f.sql("SELECT count(*) FROM resource_subscriptions;") == "0\n");
}

TEST_CASE("subscriptions survive reopening the file") {
  mcpkeep::test::TempDir dir;
  const auto path = dir.file("subs.db");
  std::string id;
  {
    mcpkeep::Store store(path, mcpkeep::test::testOptions());
    id = store.createSession().id;
    store.subscribeResource(id, "test://kept");
  }
  mcpkeep::Store store(path, mcpkeep::test::testOptions());
  CHECK(store.resourceSubscribers("test://kept") == Strings{id});
}

TEST_CASE("a file made before resource subscriptions existed is migrated and keeps its data") {
  mcpkeep::test::TempDir dir;
  const auto path = dir.file("v1.db");
  std::string id;
  {
    mcpkeep::Store store(path, mcpkeep::test::testOptions());
    id = store.createSession().id;
  }
  // Take the file back to version 1: what later migrations added is gone.
  const auto undo = mcpkeep::test::runSqlite3(
      path,
      "DROP VIEW resource_subscriptions_v; DROP TRIGGER sessions_delete_resource_subscriptions;"
      "DROP TABLE resource_subscriptions; DROP INDEX streams_by_session;"
      "DROP INDEX streams_closed_requests_by_closed_at; DROP TABLE database_id;"
      "DROP VIEW upstream_sessions_v; DROP TRIGGER sessions_delete_upstream_sessions; DROP TABLE upstream_sessions;"
      "DROP TRIGGER streams_close_upstream_requests; DROP TRIGGER streams_delete_upstream_requests;"
      "DROP TABLE upstream_requests;"
      "DROP TRIGGER sessions_count_insert; DROP TRIGGER sessions_count_delete; DROP TABLE counters; DROP TABLE request_state_key;"
      "DROP VIEW tasks_v; DROP TABLE tasks;"
      "DROP VIEW replicas_v; DROP TABLE replicas; DROP TRIGGER sessions_delete_replica_messages; DROP TABLE replica_messages; DROP INDEX streams_open_requests_by_owner;"
      "ALTER TABLE streams DROP COLUMN owner;"
      "PRAGMA user_version = 1;");
  INFO(undo.output);
  REQUIRE(undo.exit_code == 0);

  mcpkeep::Store store(path, mcpkeep::test::testOptions());
  CHECK(store.session(id));
  CHECK(store.sessionCount() == 1);  // the counter starts from what the file holds
  store.subscribeResource(id, "test://after-upgrade");
  CHECK(store.resourceSubscribers("test://after-upgrade") == Strings{id});
  CHECK(mcpkeep::test::runSqlite3(path, "PRAGMA user_version;").output ==
        std::to_string(mcpkeep::Store::schemaVersion()) + "\n");
}
