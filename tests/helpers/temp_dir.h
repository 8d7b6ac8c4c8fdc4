// Test helpers: a temporary directory removed at scope exit, a clock the
// test moves by hand, and the sqlite3 CLI run as a real separate process.
#pragma once

#include <atomic>
#include <chrono>
#include <string>

#include <mcpkeep/options.h>

namespace mcpkeep::test {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path()/name
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Starts at a fixed instant; moves only when advance() is called.
class FakeClock {
 public:
  FakeClock() : now_ms_(1'700'000'000'000) {}
  void advance(std::chrono::milliseconds by) { now_ms_ += by.count(); }
  Clock clock() {
    return [this] { return TimePoint(std::chrono::milliseconds(now_ms_.load())); };
  }

 private:
  std::atomic<int64_t> now_ms_;
};

// Options for tests: no background maintenance thread.
StoreOptions testOptions();

struct CommandResult {
  int exit_code;
  std::string output;  // stdout and stderr
};

// Runs a shell command; returns its exit code and its stdout and stderr.
CommandResult runCommand(const std::string& command);

// Runs `sql` through the sqlite3 CLI binary against `db_path`, -bail mode.
CommandResult runSqlite3(const std::string& db_path, const std::string& sql,
                         const std::string& flags = "-bail");

std::string readFile(const std::string& path);

}  // namespace mcpkeep::test
