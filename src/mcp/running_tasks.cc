#include "mcp/running_tasks.h"

namespace mcpkeep::mcp {

void RunningTasks::add(const std::string& id) {
  std::lock_guard<std::mutex> lock(mutex_);
  tasks_[id];
}

void RunningTasks::remove(const std::string& id) {
  std::lock_guard<std::mutex> lock(mutex_);
  tasks_.erase(id);
}

void RunningTasks::cancel(const std::string& id) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = tasks_.find(id);
    if (it == tasks_.end()) return;
    it->second.cancelled = true;
    ++it->second.wakes;
  }
  changed_.notify_all();
}

bool RunningTasks::cancelled(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = tasks_.find(id);
  return it != tasks_.end() && it->second.cancelled;
}

void RunningTasks::wake(const std::string& id) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = tasks_.find(id);
    if (it == tasks_.end()) return;
    ++it->second.wakes;
  }
  changed_.notify_all();
}

uint64_t RunningTasks::wakes(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = tasks_.find(id);
  return it == tasks_.end() ? 0 : it->second.wakes;
}

void RunningTasks::wait(const std::string& id, uint64_t seen, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait_for(lock, timeout, [&] {
    const auto it = tasks_.find(id);
    return it == tasks_.end() || it->second.wakes != seen;
  });
}

}  // namespace mcpkeep::mcp
