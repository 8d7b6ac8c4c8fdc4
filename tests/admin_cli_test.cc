// The admin commands of the binary, against a database a Store in this
// process holds open (as a live server would).
#include <catch2/catch.hpp>

#include <signal.h>

#include <fstream>
#include <sstream>

#include <mcpkeep/mcpkeep.h>
#include <nlohmann/json.hpp>

#include "helpers/child_process.h"
#include "helpers/temp_dir.h"

using nlohmann::json;
using mcpkeep::test::runCommand;
using mcpkeep::test::runSqlite3;

namespace {

struct Live {
  mcpkeep::test::TempDir dir;
  std::string path = dir.file("live.db");
  mcpkeep::Store store{path, mcpkeep::test::testOptions()};
  std::string alice, bob;
  mcpkeep::StreamId call = 0;

  Live() {
    alice = store.createSession().id;
    store.markInitialized(alice, "2025-11-25", "{}", R"({"name":"alice-client","version":"1"})");
    bob = store.createSession().id;
    call = store.openRequestStream(alice, "[1]");
    for (int i = 1; i <= 3; ++i) {
      store.append(alice, call, "message",
                   json({{"jsonrpc", "2.0"}, {"method", "notifications/progress"},
                         {"params", {{"progressToken", "t"}, {"progress", i}}}}).dump());
    }
    store.appendAndClose(alice, call, "message", R"({"jsonrpc":"2.0","id":1,"result":{}})");
  }

  mcpkeep::test::CommandResult run(const std::string& args) const {
    return runCommand("'" MCPKEEP_BINARY "' " + args + " --db '" + path + "'");
  }
};

std::vector<json> jsonLines(const std::string& text) {
  std::vector<json> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) lines.push_back(json::parse(line));
  }
  return lines;
}

}  // namespace

TEST_CASE("check reports a sound live file with exit 0 and a corrupt or newer one with exit 1") {
  Live live;
  const auto sound = live.run("check --json");
  INFO(sound.output);
  REQUIRE(sound.exit_code == 0);
  const json report = json::parse(sound.output);
  CHECK(report["ok"] == true);
  CHECK(report["integrity"] == "ok");
  CHECK(report["schema_version"] == mcpkeep::Store::schemaVersion());
  CHECK(report["wal_bytes"].get<int64_t>() > 0);  // the live store's WAL
  CHECK_THAT(live.run("check").output, Catch::Contains("integrity:") && Catch::Contains("ok"));

  mcpkeep::test::TempDir dir;
  // Pages after the first two overwritten: the schema reads, the b-trees do not.
  const std::string corrupt = dir.file("corrupt.db");
  { mcpkeep::Store store(corrupt, mcpkeep::test::testOptions()); }
  std::string bytes = mcpkeep::test::readFile(corrupt);
  REQUIRE(bytes.size() > 6 * 4096);
  for (std::size_t i = 2 * 4096; i < bytes.size(); ++i) bytes[i] = static_cast<char>(0x5A);
  {
    std::ofstream out(corrupt, std::ios::binary);
    out << bytes;
  }
  const auto broken = runCommand("'" MCPKEEP_BINARY "' check --db '" + corrupt + "'");
  INFO(broken.output);
  CHECK(broken.exit_code == 1);
  CHECK_THAT(broken.output, Catch::Contains("restore it from a backup"));

  const std::string newer = dir.file("newer.db");
  { mcpkeep::Store store(newer, mcpkeep::test::testOptions()); }
  REQUIRE(runSqlite3(newer, "PRAGMA user_version = 99;").exit_code == 0);
  const auto refused = runCommand("'" MCPKEEP_BINARY "' check --db '" + newer + "'");
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.output, Catch::Contains("newer mcpkeep"));
  CHECK(runCommand("'" MCPKEEP_BINARY "' check --db '" + dir.file("none.db") + "'").exit_code == 1);
}

TEST_CASE("stats counts sessions, streams by state and events, with sizes and retention") {
  Live live;
  const auto result = live.run("stats --json");
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
  const json s = json::parse(result.output);
  CHECK(s["sessions"] == 2);
  CHECK(s["streams"]["completed"] == 1);
  CHECK(s["events"] == 4);
  CHECK(s["retention_max_events"] == 1000);
  CHECK(s["oldest_event"].is_string());
  CHECK(s["file_bytes"].get<int64_t>() > 0);

  // Another SQLite file: one line naming it, exit 1.
  const std::string other = live.dir.file("other.db");
  REQUIRE(runSqlite3(other, "CREATE TABLE notes (text);").exit_code == 0);
  const auto refused = runCommand("'" MCPKEEP_BINARY "' stats --db '" + other + "'");
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.output, Catch::Contains(other) && Catch::Contains("is it an mcpkeep database?"));
}

TEST_CASE("sessions lists idle longest first and filters by --idle-over") {
  Live live;
  REQUIRE(runSqlite3(live.path, "UPDATE sessions SET last_active = last_active - 7200000 WHERE id = '" +
                                    live.bob + "';").exit_code == 0);
  const auto all = jsonLines(live.run("sessions --json").output);
  REQUIRE(all.size() == 2);
  CHECK(all[0]["id"] == live.bob);  // idle two hours
  CHECK(all[0]["idle_seconds"].get<int64_t>() >= 7200);
  CHECK(all[1]["client"] == "alice-client");
  const auto idle = jsonLines(live.run("sessions --idle-over 3600 --json").output);
  REQUIRE(idle.size() == 1);
  CHECK(idle[0]["id"] == live.bob);
  CHECK_THAT(live.run("sessions").output, Catch::Contains("idle_seconds") && Catch::Contains(live.bob));
}

TEST_CASE("events prints a session's events in order, after an id, with data as JSON") {
  Live live;
  const auto all = jsonLines(live.run("events " + live.alice + " --json").output);
  REQUIRE(all.size() == 4);
  CHECK(all[0]["method"] == "notifications/progress");
  CHECK(all[0]["data"]["params"]["progress"] == 1);
  CHECK(all[3]["rpc_id"] == 1);
  const auto after = jsonLines(live.run("events " + live.alice + " --after " + all[1]["event_id"].get<std::string>() + " --json").output);
  REQUIRE(after.size() == 2);
  CHECK(after[0]["event_id"] == all[2]["event_id"]);
  CHECK(live.run("events nobody").exit_code == 1);
  CHECK(live.run("events " + live.alice + " --after garbage").exit_code == 1);
}

TEST_CASE("events --follow prints events as the server writes them and ends with the session") {
  Live live;
  mcpkeep::test::ChildProcess follower({"/bin/sh", "-c",
                                        "exec '" MCPKEEP_BINARY "' events " + live.alice + " --follow --json --db '" +
                                            live.path + "'"});
  for (int i = 0; i < 4; ++i) REQUIRE(follower.readLine(std::chrono::seconds(10)));  // what is there
  const auto stream = live.store.standaloneStream(live.alice);
  const std::string id = live.store.append(live.alice, stream, "message",
                                           R"({"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"live"}})");
  const auto line = follower.readLine(std::chrono::seconds(10));
  REQUIRE(line);
  const json event = json::parse(*line);
  CHECK(event["event_id"] == id);
  CHECK(event["data"]["params"]["data"] == "live");
  REQUIRE(live.store.removeSession(live.alice));
  const auto status = follower.waitForExit(std::chrono::seconds(10));
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
}

TEST_CASE("export writes the session, its streams and its events as JSON lines") {
  Live live;
  const auto result = live.run("export " + live.alice);
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
  const auto lines = jsonLines(result.output);
  REQUIRE(lines.size() == 1 + 2 + 4);  // the session, its standalone and call streams, 4 events
  CHECK(lines[0]["type"] == "session");
  CHECK(lines[0]["client_info"]["name"] == "alice-client");
  CHECK(lines[1]["kind"] == "standalone");
  CHECK(lines[2]["type"] == "stream");
  CHECK(lines[2]["request_ids"] == json::array({1}));
  CHECK(lines[2]["state"] == "completed");
  CHECK(lines[6]["type"] == "event");
  CHECK(lines[6]["data"]["result"] == json::object());
}

TEST_CASE("expire runs retention now, vacuum shrinks the file, migrate upgrades an old one") {
  Live live;
  REQUIRE(runSqlite3(live.path, "UPDATE sessions SET last_active = last_active - 7200000 WHERE id = '" +
                                    live.bob + "';").exit_code == 0);
  const auto expired = live.run("expire --json");
  INFO(expired.output);
  REQUIRE(expired.exit_code == 0);
  CHECK(json::parse(expired.output)["sessions_expired"] == 1);
  CHECK_FALSE(live.store.session(live.bob));
  CHECK(live.store.session(live.alice));

  // Lots of data, deleted: vacuum gives the space back.
  const auto stream = live.store.standaloneStream(live.alice);
  live.store.setRetention(mcpkeep::Retention().withMaxEvents(100000));
  for (int i = 0; i < 2000; ++i) live.store.append(live.alice, stream, "message", "{\"pad\":\"" + std::string(1000, 'x') + "\"}");
  live.store.clearEvents(live.alice);
  const auto vacuumed = live.run("vacuum --json");
  INFO(vacuumed.output);
  REQUIRE(vacuumed.exit_code == 0);
  const json v = json::parse(vacuumed.output.substr(vacuumed.output.find('{')));
  CHECK(v["wal_truncated"] == true);  // even while the live store checkpoints
  CHECK(v["file_bytes_after"].get<int64_t>() < v["file_bytes_before"].get<int64_t>());
  CHECK(live.run("check").exit_code == 0);

  mcpkeep::test::TempDir dir;
  const std::string old = dir.file("v3.db");
  { mcpkeep::Store store(old, mcpkeep::test::testOptions()); }
  REQUIRE(runSqlite3(old,
                     "DROP TABLE database_id; DROP VIEW upstream_sessions_v;"
                     "DROP TRIGGER sessions_delete_upstream_sessions; DROP TABLE upstream_sessions;"
                     "DROP TRIGGER streams_close_upstream_requests; DROP TRIGGER streams_delete_upstream_requests;"
                     "DROP TABLE upstream_requests; DROP TRIGGER sessions_count_insert;"
                     "DROP TRIGGER sessions_count_delete; DROP TABLE counters; DROP TABLE request_state_key; DROP VIEW tasks_v; DROP TABLE tasks;"
                     "DROP VIEW replicas_v; DROP TABLE replicas; DROP TRIGGER sessions_delete_replica_messages; DROP TABLE replica_messages; DROP INDEX streams_open_requests_by_owner;"
                     "ALTER TABLE streams DROP COLUMN owner; PRAGMA user_version = 3;").exit_code == 0);
  const auto migrated = runCommand("'" MCPKEEP_BINARY "' migrate --json --db '" + old + "'");
  INFO(migrated.output);
  REQUIRE(migrated.exit_code == 0);
  const json m = json::parse(migrated.output);
  CHECK(m["schema_version_before"] == 3);
  CHECK(m["schema_version_after"] == mcpkeep::Store::schemaVersion());
}

TEST_CASE("every admin command has --help, and bad usage exits 2") {
  for (const char* command : {"check", "stats", "sessions", "events", "export", "expire", "vacuum", "migrate", "serve"}) {
    INFO(command);
    const auto help = runCommand("'" MCPKEEP_BINARY "' " + std::string(command) + " --help");
    CHECK(help.exit_code == 0);
    CHECK_THAT(help.output, Catch::StartsWith("usage: mcpkeep " + std::string(command)));
    CHECK(runCommand("'" MCPKEEP_BINARY "' " + std::string(command) + " --no-such-flag").exit_code == 2);
  }
  CHECK(runCommand("'" MCPKEEP_BINARY "' sessions --idle-over soon").exit_code == 2);
}
