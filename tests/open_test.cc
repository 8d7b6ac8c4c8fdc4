// Opening a database: what a new file looks like, and the clear errors for
// files that must be refused, each leaving the file as it was.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <SQLiteCpp/SQLiteCpp.h>

#include <mcpkeep/mcp_server.h>
#include <mcpkeep/mcpkeep.h>

#include "helpers/error_matcher.h"
#include "helpers/temp_dir.h"

using namespace std::chrono_literals;
using mcpkeep::ErrorCode;
using mcpkeep::test::readFile;

namespace {

void writeFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// A database with one session and a few events, closed cleanly.
std::string populatedDatabase(const mcpkeep::test::TempDir& dir) {
  const auto path = dir.file("populated.db");
  mcpkeep::Store store(path, mcpkeep::test::testOptions());
  const auto id = store.createSession().id;
  const auto stream = store.openRequestStream(id, "[1]");
  for (int i = 0; i < 200; ++i) {
    store.append(id, stream, "message", "{\"n\":" + std::to_string(i) + ",\"pad\":\"" +
                                            std::string(100, 'x') + "\"}");
  }
  store.closeStream(id, stream);
  return path;
}

}  // namespace

TEST_CASE("a new file is in WAL mode with incremental auto-vacuum at the latest schema") {
  mcpkeep::test::TempDir dir;
  const auto path = dir.file("new.db");
  { mcpkeep::Store store(path, mcpkeep::test::testOptions()); }
  SQLite::Database db(path);
  CHECK(db.execAndGet("PRAGMA journal_mode").getString() == "wal");
  CHECK(db.execAndGet("PRAGMA auto_vacuum").getInt() == 2);  // incremental
  CHECK(db.execAndGet("PRAGMA user_version").getInt() == mcpkeep::Store::schemaVersion());
  CHECK(mcpkeep::Store::schemaVersion() >= 1);
}

TEST_CASE("a file that is not a database is refused and left as it was") {
  mcpkeep::test::TempDir dir;
  const auto path = dir.file("notes.txt");
  std::string text;
  for (int i = 0; i < 200; ++i) text += "these are someone's notes, not a database\n";
  writeFile(path, text);
  CHECK_ERROR(mcpkeep::Store(path, mcpkeep::test::testOptions()), ErrorCode::kNotADatabase);
  CHECK(readFile(path) == text);
  CHECK_FALSE(std::filesystem::exists(path + "-wal"));
}

TEST_CASE("a corrupt database is refused and left as it was") {
  mcpkeep::test::TempDir dir;
  const auto path = populatedDatabase(dir);
  std::string bytes = readFile(path);
  REQUIRE(bytes.size() > 8 * 4096);
  // Keep page 1 (the header and schema), overwrite the b-tree pages after it.
  for (std::size_t i = 4096; i < bytes.size(); ++i) bytes[i] = static_cast<char>(0xA5);
  writeFile(path, bytes);
  CHECK_ERROR(mcpkeep::Store(path, mcpkeep::test::testOptions()), ErrorCode::kCorrupt);
  CHECK(readFile(path) == bytes);
}

TEST_CASE("a file written by a newer mcpkeep is refused and left as it was") {
  mcpkeep::test::TempDir dir;
  const auto path = populatedDatabase(dir);
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    db.exec("PRAGMA user_version = 999");
  }
  const auto before = readFile(path);
  try {
    mcpkeep::Store store(path, mcpkeep::test::testOptions());
    FAIL("a newer schema was opened");
  } catch (const mcpkeep::Error& e) {
    CHECK(e.code() == ErrorCode::kNewerSchema);
    CHECK_THAT(e.what(), Catch::Contains(path) && Catch::Contains("999"));
  }
  CHECK(readFile(path) == before);
}

TEST_CASE("a database locked beyond the busy timeout gives a busy error") {
  mcpkeep::test::TempDir dir;
  const auto path = populatedDatabase(dir);
  SQLite::Database holder(path, SQLite::OPEN_READWRITE);
  SQLite::Transaction lock(holder, SQLite::TransactionBehavior::IMMEDIATE);
  auto options = mcpkeep::test::testOptions();
  options.busy_timeout = 100ms;
  CHECK_ERROR(mcpkeep::Store(path, options), ErrorCode::kBusy);
}

TEST_CASE("a file or directory the process may not write is refused with a read-only error") {
  mcpkeep::test::TempDir dir;
  const auto path = populatedDatabase(dir);
  SECTION("the file is read-only") {
    REQUIRE(::chmod(dir.path().c_str(), 0777) == 0);
    REQUIRE(::chmod(path.c_str(), 0444) == 0);
  }
  SECTION("the directory is read-only (WAL needs to create files beside it)") {
    REQUIRE(::chmod(dir.path().c_str(), 0755) == 0);
    REQUIRE(::chmod(path.c_str(), 0666) == 0);
  }
  const auto before = readFile(path);
  // Root may write anything, so the open runs in a child that is not root.
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(3);
    try {
      mcpkeep::Store store(path, mcpkeep::test::testOptions());
      ::_exit(1);  // opened: wrong
    } catch (const mcpkeep::Error& e) {
      ::_exit(e.code() == ErrorCode::kReadOnly ? 0 : 2);
    } catch (...) {
      ::_exit(4);
    }
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(readFile(path) == before);
}

TEST_CASE("paths that cannot be opened give a cant-open error and nothing is created") {
  mcpkeep::test::TempDir dir;
  CHECK_ERROR(mcpkeep::Store(dir.file("missing-dir/x.db"), mcpkeep::test::testOptions()),
              ErrorCode::kCantOpen);
  CHECK_ERROR(mcpkeep::Store(dir.path(), mcpkeep::test::testOptions()), ErrorCode::kCantOpen);

  auto options = mcpkeep::test::testOptions();
  options.create_if_missing = false;
  CHECK_ERROR(mcpkeep::Store(dir.file("absent.db"), options), ErrorCode::kCantOpen);
  CHECK_FALSE(std::filesystem::exists(dir.file("absent.db")));
}

TEST_CASE("opening a file leaves open streams alone, creating an McpServer answers and ends them") {
  mcpkeep::test::TempDir dir;
  const auto path = dir.file("interrupted.db");
  std::string id;
  mcpkeep::StreamId running = 0, done = 0;
  {
    mcpkeep::Store store(path, mcpkeep::test::testOptions());
    id = store.createSession().id;
    running = store.openRequestStream(id, "[7]");
    done = store.openRequestStream(id, "[8]");
    store.append(id, running, "message", R"({"method":"notifications/progress"})");
    store.closeStream(id, done);
  }  // the process "dies" with `running` open

  mcpkeep::Store store(path, mcpkeep::test::testOptions());
  CHECK(store.stream(id, running)->state == mcpkeep::StreamState::kOpen);  // a live server's may be

  mcpkeep::Hub hub(store);
  mcpkeep::McpServer server(hub);  // default options: the next server of this file
  CHECK(store.stream(id, running)->state == mcpkeep::StreamState::kInterrupted);
  CHECK(store.stream(id, running)->request_ids == std::optional<std::string>("[7]"));
  CHECK(store.stream(id, done)->state == mcpkeep::StreamState::kCompleted);
  CHECK(store.stream(id, store.standaloneStream(id))->state == mcpkeep::StreamState::kOpen);
  const auto replay = store.eventsAfter(id, mcpkeep::EventId{running, 0}).events;
  REQUIRE(replay.size() == 2);  // the progress, then the answer the client waits for
  const auto answer = nlohmann::json::parse(replay[1].data);
  CHECK(answer["id"] == 7);
  CHECK(answer["error"]["code"] == -32603);
  CHECK_ERROR(store.append(id, running, "message", "{}"), ErrorCode::kStreamClosed);
}

TEST_CASE("retention given at open is written to the file's settings") {
  mcpkeep::test::TempDir dir;
  const auto path = dir.file("retention.db");
  auto options = mcpkeep::test::testOptions();
  options.retention = mcpkeep::Retention().withMaxEvents(42).withMaxAge(7s);
  { mcpkeep::Store store(path, options); }
  mcpkeep::Store reopened(path, mcpkeep::test::testOptions());  // no retention given: kept
  CHECK(reopened.retention().max_events == 42);
  CHECK(reopened.retention().max_age == 7s);

  options.retention = mcpkeep::Retention().withMaxEvents(0);
  CHECK_ERROR(mcpkeep::Store(path, options), ErrorCode::kInvalidArgument);
}

TEST_CASE("one McpServer per file: a second one is refused naming the first, and may come once it is gone") {
  mcpkeep::test::TempDir dir;
  const auto path = dir.file("one.db");
  mcpkeep::Store store(path, mcpkeep::test::testOptions());
  mcpkeep::Hub hub(store);
  {
    mcpkeep::McpServer first(hub);
    first.setAddress("http://127.0.0.1:1234/mcp");
    mcpkeep::Store other(path, mcpkeep::test::testOptions());  // as a tool would: fine
    mcpkeep::Hub other_hub(other);
    try {
      mcpkeep::McpServer second(other_hub);
      FAIL("a second server on the file was allowed");
    } catch (const mcpkeep::Error& e) {
      CHECK(e.code() == ErrorCode::kBusy);
      CHECK_THAT(e.what(), Catch::Contains(path) && Catch::Contains("pid " + std::to_string(::getpid())) &&
                               Catch::Contains("http://127.0.0.1:1234/mcp"));
    }
  }
  mcpkeep::McpServer next(hub);  // the first is gone: its lock with it
}
