// mcp::RunningTasks: the tasks whose handlers run in this process, and
// what they wait on. A handler waiting for the client's input is woken
// when tasks/update delivers it here (another process's tasks/update is
// seen in the store within a poll); tasks/cancel raises its flag.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace mcpkeep::mcp {

class RunningTasks {
 public:
  void add(const std::string& id);
  void remove(const std::string& id);

  // Raises the task's cancelled flag and wakes its handler.
  void cancel(const std::string& id);
  bool cancelled(const std::string& id) const;

  // Wakes the task's handler (its input may have come).
  void wake(const std::string& id);

  // Waits until the task is woken or cancelled after `seen` (a count wake()
  // returns through wakes()), or `timeout` passes.
  void wait(const std::string& id, uint64_t seen, std::chrono::milliseconds timeout);
  uint64_t wakes(const std::string& id) const;

 private:
  struct Entry {
    bool cancelled = false;
    uint64_t wakes = 0;
  };
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, Entry> tasks_;
};

}  // namespace mcpkeep::mcp
