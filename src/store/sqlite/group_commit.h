// store::GroupCommit: the single writer connection and its queue. Concurrent
// writes are gathered into one transaction, as LevelDB's DBImpl::Write does:
// the writer at the front of the queue becomes the leader, takes everyone
// queued behind it, runs their operations in one IMMEDIATE transaction (each
// in its own savepoint, so one failure does not undo the others), takes in
// whoever queued meanwhile, commits once, and wakes them with their results. Under FULL durability that is one
// fsync for many writes.
//
// Thread safety: write() and exclusive() may be called from any thread; the
// operations run one at a time on the writer connection.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include <mcpkeep/store.h>

#include "store/sqlite/connection.h"

namespace mcpkeep::store {

class GroupCommit {
 public:
  using Operation = std::function<void(Connection&)>;

  // `commit_delay`: how long a leader whose batch has run waits for more
  // writers before committing, when the previous batch had several (others
  // are active). Worth it only when a commit is expensive (an fsync).
  GroupCommit(std::unique_ptr<Connection> connection, std::size_t max_batch,
              std::chrono::microseconds commit_delay);

  // Runs `op` inside a transaction that may be shared with other writers, and
  // returns once that transaction has committed. Rethrows what `op` threw
  // (its changes are rolled back), or the commit's error as mcpkeep::Error.
  void write(const Operation& op);

  // Runs `op` alone and outside any transaction (checkpoint, vacuum).
  void exclusive(const Operation& op);

  WriteStats stats() const;

  // Transactions this writer has committed, exclusive operations included:
  // tells a change made here from one made by another connection.
  uint64_t transactions() const { return transactions_.load(); }

 private:
  struct Writer {
    Writer(const Operation& o, bool t) : op(&o), transactional(t) {}
    const Operation* op;
    bool transactional;
    bool done = false;
    std::exception_ptr error;
    std::condition_variable wake;
  };

  void submit(Writer& writer);
  // Appends to `batch` the transactional writers queued behind it, up to
  // max_batch_; true if it added any. Needs mutex_.
  bool gatherInto(std::vector<Writer*>& batch) const;
  // Runs a batch in one transaction, gathering writers that queue up while it
  // runs. Called and returns with `lock` held; releases it meanwhile.
  void runBatch(std::vector<Writer*>& batch, std::unique_lock<std::mutex>& lock);
  void runOne(Writer& writer);

  std::unique_ptr<Connection> connection_;
  const std::size_t max_batch_;

  mutable std::mutex mutex_;
  std::deque<Writer*> queue_;  // front: the leader
  std::condition_variable arrived_;  // a writer joined the queue
  const std::chrono::microseconds commit_delay_;
  std::size_t last_active_ = 0;  // writers in the queue when the last batch ended
  // Per committed transaction; batch_sizes_ also counts commits and writes.
  Histogram commit_seconds_{{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1}};
  Histogram batch_sizes_{{1, 2, 4, 8, 16, 32, 64, 128, 256}};
  std::atomic<uint64_t> transactions_{0};
};

}  // namespace mcpkeep::store
