// store::GroupCommit: the single writer connection and its queue. Concurrent
// writes are gathered into one transaction, as LevelDB's DBImpl::Write does:
// the writer at the front of the queue becomes the leader, takes everyone
// queued behind it, runs their operations in one transaction (each in its
// own savepoint, so one failure does not undo the others), takes in whoever
// queued meanwhile, commits once, and wakes them with their results. Under
// FULL durability that is one fsync for many writes. Both backends use it.
//
// Connection provides the transaction's steps:
//   void beginWrite(); void commitWrite(); void rollbackWrite() noexcept;
//   void savepoint(); void rollbackToSavepoint(); void releaseSavepoint();
//   bool transactionLost();  // the engine ended the transaction itself
//   std::exception_ptr translate(std::exception_ptr, const std::string& context);
//       // the engine's exceptions as mcpkeep::Error; others unchanged
//   bool retryable(const std::exception_ptr&);  // worth running again (deadlock)
//   const std::string& name();  // for messages
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

namespace mcpkeep::store {

template <class Connection>
class GroupCommit {
 public:
  using Operation = std::function<void(Connection&)>;

  // `commit_delay`: how long a leader whose batch has run waits for more
  // writers before committing, when the previous batch had several (others
  // are active). Worth it only when a commit is expensive (an fsync).
  GroupCommit(std::unique_ptr<Connection> connection, std::size_t max_batch,
              std::chrono::microseconds commit_delay)
      : connection_(std::move(connection)),
        max_batch_(max_batch == 0 ? 1 : max_batch),
        commit_delay_(commit_delay) {}

  // Runs `op` inside a transaction that may be shared with other writers, and
  // returns once that transaction has committed. Rethrows what `op` threw
  // (its changes are rolled back), or the commit's error as mcpkeep::Error.
  void write(const Operation& op) {
    Writer writer(op, true);
    submit(writer);
  }

  // Runs `op` alone and outside any transaction (checkpoint, vacuum).
  void exclusive(const Operation& op) {
    Writer writer(op, false);
    ++transactions_;  // before and after: a watcher looking meanwhile sees it
    submit(writer);
    ++transactions_;
  }

  WriteStats stats() const {
    std::lock_guard<std::mutex> lock(mutex_);
    WriteStats s;
    // One observation per committed transaction, of its number of writes.
    s.commits = batch_sizes_.count;
    s.writes = static_cast<int64_t>(batch_sizes_.sum);
    s.commit_seconds = commit_seconds_;
    s.batch_sizes = batch_sizes_;
    return s;
  }

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

  // How often a write the engine refused for a passing reason (a deadlock
  // with another process) is run again before its error is returned.
  static constexpr int kAttempts = 3;

  void submit(Writer& writer) {
    std::unique_lock<std::mutex> lock(mutex_);
    queue_.push_back(&writer);
    arrived_.notify_one();
    writer.wake.wait(lock, [&] { return writer.done || queue_.front() == &writer; });

    if (!writer.done) {
      // This writer leads: it runs its batch (the front of the queue), then
      // hands leadership to the next writer in the queue.
      std::vector<Writer*> batch;
      if (writer.transactional) {
        runBatch(batch, lock);
      } else {
        batch.push_back(&writer);
        lock.unlock();
        runOne(writer);
        lock.lock();
      }
      for (Writer* w : batch) {
        queue_.pop_front();
        w->done = true;
        if (w != &writer) w->wake.notify_one();
      }
      if (!queue_.empty()) queue_.front()->wake.notify_one();
    }
    lock.unlock();
    if (writer.error) std::rethrow_exception(writer.error);
  }

  // Runs one operation, keeping its error (as mcpkeep::Error if the engine's).
  void runOne(Writer& writer) {
    writer.error = nullptr;
    try {
      (*writer.op)(*connection_);
    } catch (...) {
      writer.error = connection_->translate(std::current_exception(),
                                            "writing to " + connection_->name());
    }
  }

  // Appends to `batch` the transactional writers queued behind it, up to
  // max_batch_; true if it added any. Needs mutex_.
  bool gatherInto(std::vector<Writer*>& batch) const {
    const std::size_t before = batch.size();
    for (std::size_t i = batch.size(); i < queue_.size() && batch.size() < max_batch_; ++i) {
      if (!queue_[i]->transactional) break;
      batch.push_back(queue_[i]);
    }
    return batch.size() > before;
  }

  // Runs one write of a batch in its savepoint; false when the engine lost
  // the whole transaction (every writer of the batch then has an error).
  bool runInSavepoint(Writer& w, const std::vector<Writer*>& batch) {
    for (int attempt = 1;; ++attempt) {
      connection_->savepoint();
      runOne(w);
      if (w.error && connection_->transactionLost()) {
        // The engine rolled the whole transaction back (disk full, I/O
        // error, lost connection): every write of the batch is lost.
        for (Writer* other : batch) {
          if (!other->error) other->error = w.error;
        }
        return false;
      }
      if (w.error) connection_->rollbackToSavepoint();
      connection_->releaseSavepoint();
      if (!w.error || attempt == kAttempts || !connection_->retryable(w.error)) return true;
    }
  }

  // Runs a batch in one transaction, gathering writers that queue up while it
  // runs. Called and returns with `lock` held; releases it meanwhile.
  void runBatch(std::vector<Writer*>& batch, std::unique_lock<std::mutex>& lock) {
    gatherInto(batch);
    lock.unlock();
    const auto began = std::chrono::steady_clock::now();
    bool committed = false;
    bool begun = false;
    try {
      connection_->beginWrite();
      begun = true;
      std::size_t next = 0;
      bool lost = false;
      do {
        for (; next < batch.size() && !lost; ++next) lost = !runInSavepoint(*batch[next], batch);
        if (lost) break;
        // Writers that queued while these ran join the same commit: under
        // load, the ones the previous commit released are back by now.
        lock.lock();
        bool more = gatherInto(batch);
        if (!more && commit_delay_.count() > 0 && batch.size() < last_active_ &&
            batch.size() < max_batch_) {
          // Others are active: give the writers the last commit released a
          // moment to come back and share this commit (PostgreSQL's
          // commit_delay with commit_siblings).
          arrived_.wait_for(lock, commit_delay_, [&] { return queue_.size() >= last_active_; });
          more = gatherInto(batch);
        }
        lock.unlock();
        if (!more) {
          connection_->commitWrite();
          committed = true;
        }
      } while (!committed);
    } catch (...) {
      const auto error = connection_->translate(
          std::current_exception(),
          "committing " + std::to_string(batch.size()) + " write(s) to " + connection_->name());
      for (Writer* w : batch) {
        if (!w->error) w->error = error;
      }
    }
    if (begun && !committed) connection_->rollbackWrite();
    lock.lock();
    last_active_ = queue_.size();  // this batch and the writers waiting behind it
    if (committed) {
      ++transactions_;
      commit_seconds_.observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count());
      batch_sizes_.observe(static_cast<double>(batch.size()));
    }
  }

  std::unique_ptr<Connection> connection_;
  const std::size_t max_batch_;

  mutable std::mutex mutex_;
  std::deque<Writer*> queue_;  // front: the leader
  std::condition_variable arrived_;  // a writer joined the queue
  const std::chrono::microseconds commit_delay_;
  std::size_t last_active_ = 0;  // writers in the queue when the last batch ended
  // Per committed transaction; batch_sizes_ also counts commits and writes.
  Histogram commit_seconds_{
      {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1}};
  Histogram batch_sizes_{{1, 2, 4, 8, 16, 32, 64, 128, 256}};
  std::atomic<uint64_t> transactions_{0};
};

}  // namespace mcpkeep::store
