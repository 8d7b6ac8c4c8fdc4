// startOnPool: runs a function on a thread of a Poco::ThreadPool, which
// itself only takes Runnables it does not own.
#pragma once

#include <functional>
#include <memory>

#include <Poco/Runnable.h>
#include <Poco/ThreadPool.h>

namespace mcpkeep::mcp {

// Starts `task` on a thread of `pool`. Throws
// Poco::NoThreadAvailableException, without running it, when the pool is full.
inline void startOnPool(Poco::ThreadPool& pool, std::function<void()> task) {
  // Deletes itself once it has run.
  class OneShot : public Poco::Runnable {
   public:
    explicit OneShot(std::function<void()> task) : task_(std::move(task)) {}
    void run() override {
      task_();
      delete this;
    }

   private:
    std::function<void()> task_;
  };
  auto one_shot = std::make_unique<OneShot>(std::move(task));
  pool.start(*one_shot);
  one_shot.release();
}

}  // namespace mcpkeep::mcp
