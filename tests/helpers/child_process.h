// ChildProcess: runs a program with its stdout on a pipe, reads lines from
// it with a deadline, sends signals, and reaps it. Killed at scope exit.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace mcpkeep::test {

class ChildProcess {
 public:
  explicit ChildProcess(const std::vector<std::string>& argv);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // The next line of its stdout, or nullopt at end of output or after `wait`.
  std::optional<std::string> readLine(std::chrono::milliseconds wait = std::chrono::seconds(30));

  // Sends `signal` and reaps the process; returns its wait status.
  int signalAndWait(int signal);
  // Reaps the process after it exits by itself, waiting at most `wait`;
  // nullopt if it is still running then.
  std::optional<int> waitForExit(std::chrono::milliseconds wait);

  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  std::string buffer_;
};

}  // namespace mcpkeep::test
