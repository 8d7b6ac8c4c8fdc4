// Injected faults: a disk that fails reads, writes or syncs, or is full (an
// SQLite VFS shim, helpers/faulty_vfs.h), and a lock held by the sqlite3
// CLI. The library throws clear errors, the server answers 503 and goes on
// serving, and nothing committed before the fault is lost.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <thread>

#include <SQLiteCpp/SQLiteCpp.h>

#include "helpers/child_process.h"
#include "helpers/error_matcher.h"
#include "helpers/faulty_vfs.h"
#include "helpers/server_fixture.h"

using nlohmann::json;
using mcpkeep::ErrorCode;
using mcpkeep::Store;
using mcpkeep::test::FaultyVfs;
using mcpkeep::test::McpClient;
using mcpkeep::test::ServerFixture;
using Op = mcpkeep::test::FaultyVfs::Op;

namespace {

std::string integrity(const std::string& path) {
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  return db.execAndGet("PRAGMA integrity_check").getString();
}

// True when another connection holds the file's write lock.
bool writeLockHeld(const std::string& path) {
  SQLite::Database db(path, SQLite::OPEN_READWRITE);  // busy timeout 0
  try {
    db.exec("BEGIN IMMEDIATE");
    db.exec("ROLLBACK");
    return false;
  } catch (const SQLite::Exception& e) {
    return e.getErrorCode() == SQLITE_BUSY;
  }
}

template <typename F>
bool eventually(F condition, std::chrono::milliseconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

const json kEchoCall = {{"name", "echo"}, {"arguments", {{"message", "hi"}}}};

}  // namespace

TEST_CASE("a failing or full disk gives clear I/O errors and loses nothing committed before") {
  FaultyVfs faults;  // before the store: its connections go through it
  mcpkeep::test::TempDir dir;
  const std::string path = dir.file("faults.db");
  std::string session;
  std::vector<std::string> committed;
  {
    Store store(path, mcpkeep::test::testOptions());
    session = store.createSession().id;
    const auto stream = store.standaloneStream(session);
    for (int i = 0; i < 10; ++i) committed.push_back(store.append(session, stream, "message", "{\"n\":" + std::to_string(i) + "}"));

    struct Fault {
      Op op;
      int code;
      const char* says;
    };
    for (const Fault& f : {Fault{Op::kWrite, SQLITE_FULL, "disk full"},
                           Fault{Op::kWrite, SQLITE_IOERR_WRITE, "I/O error"}}) {
      INFO(f.says);
      faults.failAll(f.op, f.code);
      try {
        store.append(session, stream, "message", "{\"lost\":true}");
        FAIL("the append succeeded on a failing disk");
      } catch (const mcpkeep::Error& e) {
        CHECK(e.code() == ErrorCode::kIo);
        CHECK_THAT(e.what(), Catch::Contains(f.says));
        CHECK_THAT(e.what(), Catch::Contains(path));
      }
      faults.clear();
      // It recovers once the fault clears.
      committed.push_back(store.append(session, stream, "message", "{\"after\":true}"));
    }

    // One failing write among many: only the append it hit fails.
    faults.failNth(Op::kWrite, 1, SQLITE_IOERR_WRITE);
    CHECK_THROWS(store.append(session, stream, "message", "{\"lost\":true}"));
    committed.push_back(store.append(session, stream, "message", "{\"after\":true}"));
  }
  CHECK(faults.failures() > 0);

  // A failing sync under Durability::kFull.
  {
    mcpkeep::StoreOptions options = mcpkeep::test::testOptions();
    options.durability = mcpkeep::Durability::kFull;
    Store store(path, options);
    faults.failAll(Op::kSync, SQLITE_IOERR_FSYNC);
    CHECK_ERROR(store.append(session, store.standaloneStream(session), "message", "{}"), ErrorCode::kIo);
    faults.clear();
  }

  // A disk that fails reads: opening says so, and changes nothing.
  faults.failAll(Op::kRead, SQLITE_IOERR_READ);
  CHECK_ERROR(Store(path, mcpkeep::test::testOptions()), ErrorCode::kIo);
  faults.clear();

  // Everything committed is there, and the file is sound.
  CHECK(integrity(path) == "ok");
  Store reopened(path, mcpkeep::test::testOptions());
  std::vector<std::string> stored;
  for (const auto& e : reopened.events(session)) stored.push_back(e.id);
  CHECK(stored == committed);
}

TEST_CASE("the server answers 503 while the disk fails, serves others, and recovers when it clears") {
  FaultyVfs faults;
  ServerFixture server;
  McpClient client = server.client();
  client.initialize();
  const json before = client.request("tools/call", kEchoCall);
  REQUIRE(before["result"]["content"][0]["text"] == "hi");
  const int64_t events_before = server.store.eventCount(client.session_id);

  faults.failAll(Op::kWrite, SQLITE_FULL);
  const auto refused = client.post({{"jsonrpc", "2.0"}, {"id", 100}, {"method", "tools/call"}, {"params", kEchoCall}});
  CHECK(refused.status == 503);
  CHECK(refused.parsedBody()["error"]["code"] == -32000);
  CHECK_THAT(refused.parsedBody()["error"]["message"].get<std::string>(), Catch::Contains("storage unavailable"));
  McpClient newcomer = server.client();
  CHECK(newcomer.post({{"jsonrpc", "2.0"}, {"id", 1}, {"method", "initialize"},
                       {"params", {{"protocolVersion", "2025-11-25"}, {"capabilities", json::object()},
                                   {"clientInfo", {{"name", "n"}, {"version", "1"}}}}}})
            .status == 503);
  // Requests that write nothing are still served.
  CHECK(client.send("GET", "", {{"Accept", "text/event-stream"}, {"Mcp-Session-Id", std::string(32, '0')}}).status == 404);
  faults.clear();

  const json after = client.request("tools/call", kEchoCall);
  CHECK(after["result"]["content"][0]["text"] == "hi");
  CHECK(newcomer.initialize().status == 200);
  CHECK(server.store.eventCount(client.session_id) > events_before);
  CHECK(integrity(server.store.path()) == "ok");
}

TEST_CASE("a tool's answer that hits a disk fault is written once the fault clears") {
  FaultyVfs faults;
  ServerFixture server;
  McpClient client = server.client();
  client.initialize();
  // The call's stream opens; the disk fails while the tool works.
  std::thread clear_later([&] {
    eventually([&] { return faults.failures() > 0; }, std::chrono::seconds(10));
    faults.clear();
  });
  const json call = {{"jsonrpc", "2.0"}, {"id", 5}, {"method", "tools/call"},
                     {"params", {{"name", "progress"}, {"arguments", {{"steps", 1}, {"interval_ms", 100}}}}}};
  const auto reply = client.send("POST", call.dump(), client.standardHeaders(), SIZE_MAX, [&](const auto& e) {
    if (e.data.empty()) faults.failAll(Op::kWrite, SQLITE_FULL);  // after the priming event
  });
  clear_later.join();
  CHECK(faults.failures() > 0);
  // The answer failed to store, was tried again, and reached the client.
  CHECK(reply.response(5)["result"]["content"][0]["text"] == "done");
  CHECK(integrity(server.store.path()) == "ok");
}

TEST_CASE("a write lock held by the sqlite3 CLI past the busy timeout gives 503, then service resumes") {
  mcpkeep::StoreOptions store_options = mcpkeep::test::testOptions();
  store_options.busy_timeout = std::chrono::milliseconds(200);
  ServerFixture server(mcpkeep::test::testHttpOptions(), store_options);
  McpClient client = server.client();
  client.initialize();

  // The CLI takes the write lock and holds it for 3 s.
  mcpkeep::test::ChildProcess cli({"/usr/bin/sqlite3", "-bail", server.store.path(), "BEGIN IMMEDIATE;",
                                   ".shell sleep 3", "COMMIT;"});
  REQUIRE(eventually([&] { return writeLockHeld(server.store.path()); }, std::chrono::seconds(10)));
  const auto refused = client.post({{"jsonrpc", "2.0"}, {"id", 50}, {"method", "tools/call"}, {"params", kEchoCall}});
  CHECK(refused.status == 503);
  CHECK(refused.parsedBody()["error"]["code"] == -32000);
  // Once the CLI commits and exits, requests succeed again.
  const auto exited = cli.waitForExit(std::chrono::seconds(10));
  REQUIRE(exited);
  CHECK(WEXITSTATUS(*exited) == 0);
  CHECK(client.request("tools/call", kEchoCall)["result"]["content"][0]["text"] == "hi");
}
