// `mcpkeep serve` refuses a file it must not touch (corrupt, truncated, with
// another database's WAL, not writable, of a newer schema), says what to
// do, exits 1, and changes nothing.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include <SQLiteCpp/SQLiteCpp.h>

#include <mcpkeep/store.h>

#include "helpers/child_process.h"
#include "helpers/temp_dir.h"

using mcpkeep::test::ChildProcess;
using mcpkeep::test::readFile;
using mcpkeep::test::TempDir;

namespace {

struct Outcome {
  int exit_code;
  std::string output;  // stdout and stderr
};

// Runs `mcpkeep serve` on `db`, as `user_prefix` (e.g. setpriv) when given.
Outcome serve(const std::string& db, const std::string& user_prefix = "") {
  ChildProcess child({"/bin/sh", "-c",
                      user_prefix + " '" MCPKEEP_BINARY "' serve --db '" + db +
                          "' --listen 127.0.0.1:0 2>&1"});
  Outcome outcome{-1, ""};
  while (auto line = child.readLine(std::chrono::seconds(20))) {
    outcome.output += *line + "\n";
    if (line->find("listening on") != std::string::npos) {
      child.signalAndWait(SIGTERM);
      return outcome;
    }
  }
  const auto status = child.waitForExit(std::chrono::seconds(20));
  if (status && WIFEXITED(*status)) outcome.exit_code = WEXITSTATUS(*status);
  return outcome;
}

void writeFile(const std::string& path, const std::string& bytes) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  REQUIRE(f);
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
}

// A database with some sessions and events, all in the main file (no WAL).
std::string populated(const TempDir& dir, const std::string& name) {
  const std::string path = dir.file(name);
  {
    mcpkeep::Store store(path);
    const auto id = store.createSession().id;
    const auto stream = store.standaloneStream(id);
    for (int i = 0; i < 300; ++i) {
      store.append(id, stream, "message", "{\"n\":" + std::to_string(i) + ",\"pad\":\"" + std::string(200, 'x') + "\"}");
    }
  }  // closing checkpoints the WAL into the file and removes it
  return path;
}

// The bytes of the database and its WAL, to compare before and after.
std::string filesOf(const std::string& db) {
  std::string all = readFile(db);
  if (std::filesystem::exists(db + "-wal")) all += "|wal|" + readFile(db + "-wal");
  return all;
}

}  // namespace

TEST_CASE("serve refuses a corrupt, truncated or foreign-WAL file, says what to do, and changes nothing") {
  TempDir dir;
  std::string db;
  std::string advice;
  SECTION("pages overwritten") {
    db = populated(dir, "corrupt.db");
    std::string bytes = readFile(db);
    for (std::size_t i = 2 * 4096; i < 6 * 4096; ++i) bytes[i] = static_cast<char>(0x5A);
    writeFile(db, bytes);
    advice = "restore it from a backup";
  }
  SECTION("truncated to half") {
    db = populated(dir, "truncated.db");
    const std::string bytes = readFile(db);
    writeFile(db, bytes.substr(0, bytes.size() / 2 / 4096 * 4096));
    advice = "restore it from a backup";
  }
  SECTION("the WAL of another database beside it") {
    db = populated(dir, "mine.db");
    // Another database's committed but uncheckpointed WAL.
    const std::string other = dir.file("other.db");
    {
      SQLite::Database writer(other, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
      writer.exec("PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;"
                  "CREATE TABLE sessions (x); CREATE TABLE filler (x);");
      for (int i = 0; i < 50; ++i) writer.exec("INSERT INTO filler VALUES (randomblob(3000))");
      std::filesystem::copy_file(other + "-wal", db + "-wal");
    }
    advice = "-wal, belongs to another database; move that file away";
  }
  SECTION("not a database at all") {
    db = dir.file("notes.db");
    writeFile(db, std::string(10000, 'n'));
    advice = "not an SQLite database";
  }
  SECTION("written by a newer mcpkeep") {
    db = populated(dir, "newer.db");
    {
      SQLite::Database writer(db, SQLite::OPEN_READWRITE);
      writer.exec("PRAGMA journal_mode = DELETE; PRAGMA user_version = 999");
    }
    advice = "use a newer mcpkeep";
  }
  const std::string before = filesOf(db);
  const Outcome outcome = serve(db);
  INFO(outcome.output);
  CHECK(outcome.exit_code == 1);
  CHECK_THAT(outcome.output, Catch::Contains(db) && Catch::Contains(advice));
  CHECK(outcome.output.find("listening") == std::string::npos);
  CHECK(filesOf(db) == before);
}

TEST_CASE("serve refuses a directory it cannot write, says so, and changes nothing") {
  TempDir dir;
  const std::string db = populated(dir, "readonly.db");
  // Root may write anything: the server runs as nobody when we are root.
  const std::string as_nobody = ::geteuid() == 0 ? "setpriv --reuid=65534 --regid=65534 --clear-groups" : "";
  REQUIRE(::chmod(dir.path().c_str(), 0755) == 0);  // others may read, not write
  REQUIRE(::chmod(db.c_str(), 0644) == 0);
  const std::string before = filesOf(db);
  const Outcome outcome = serve(db, as_nobody);
  INFO(outcome.output);
  CHECK(outcome.exit_code == 1);
  CHECK_THAT(outcome.output, Catch::Contains(db) && Catch::Contains("write access"));
  CHECK(filesOf(db) == before);
}
