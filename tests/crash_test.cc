// kill -9 a process that appends in a loop, many times, at random moments:
// every event it acknowledged must be on disk afterwards, intact and in order.
#include <catch2/catch.hpp>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <random>

#include <SQLiteCpp/SQLiteCpp.h>

#include <mcpkeep/mcpkeep.h>

#include "helpers/temp_dir.h"

namespace {

// A running crash_writer and the pipe it reports acknowledged ids on.
class Child {
 public:
  Child(const std::string& db, const std::string& session, int cycle) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::dup2(fds[1], STDOUT_FILENO);
      ::close(fds[0]);
      ::close(fds[1]);
      const std::string c = std::to_string(cycle);
      ::execl(MCPKEEP_CRASH_WRITER, "crash_writer", db.c_str(), session.c_str(), c.c_str(),
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(fds[1]);
    out_ = fds[0];
  }
  ~Child() {
    if (pid_ > 0) killNow();
    ::close(out_);
  }

  // The next acknowledged id; empty if the child ended or 30 s passed.
  std::string nextAck() {
    for (;;) {
      const auto newline = buffer_.find('\n');
      if (newline != std::string::npos) {
        std::string line = buffer_.substr(0, newline);
        buffer_.erase(0, newline + 1);
        return line;
      }
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, 30000) <= 0) return {};
      char chunk[4096];
      const ssize_t n = ::read(out_, chunk, sizeof chunk);
      if (n <= 0) return {};
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  // SIGKILL, then reap. Returns true if it died of the signal.
  bool killNow() {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  std::string buffer_;
};

}  // namespace

TEST_CASE("every event acknowledged before a kill -9 is on disk intact and in order") {
  mcpkeep::test::TempDir dir;
  const auto path = dir.file("crash.db");
  std::string session;
  {
    mcpkeep::Store store(path, mcpkeep::test::testOptions());
    session = store.createSession().id;
  }
  const auto seed = std::random_device{}();
  INFO("random seed " << seed);
  std::mt19937 random(seed);
  std::uniform_int_distribution<int> acks_before_kill(1, 300);

  std::map<std::string, std::string> acknowledged;  // event id -> data
  const int kCycles = 50;
  for (int cycle = 1; cycle <= kCycles; ++cycle) {
    INFO("cycle " << cycle);
    {
      Child child(path, session, cycle);
      const int wanted = acks_before_kill(random);
      for (int i = 1; i <= wanted; ++i) {
        const std::string id = child.nextAck();
        REQUIRE_FALSE(id.empty());
        acknowledged[id] = "{\"cycle\":" + std::to_string(cycle) + ",\"i\":" + std::to_string(i) + "}";
      }
      REQUIRE(child.killNow());  // most likely in the middle of the next append
    }

    SQLite::Database raw(path, SQLite::OPEN_READONLY);
    REQUIRE(raw.execAndGet("PRAGMA quick_check").getString() == "ok");

    mcpkeep::Store store(path, mcpkeep::test::testOptions());
    const auto events = store.events(session);
    std::map<std::string, std::string> stored;
    int64_t previous_seq = 0;
    for (const auto& e : events) {
      REQUIRE(e.seq > previous_seq);  // strictly increasing, so no duplicates
      previous_seq = e.seq;
      stored[e.id] = e.data;
    }
    for (const auto& [id, data] : acknowledged) {
      INFO("acknowledged event " << id);
      REQUIRE(stored.count(id) == 1);
      REQUIRE(stored[id] == data);
    }
  }
  CHECK(acknowledged.size() >= static_cast<std::size_t>(kCycles));
}
