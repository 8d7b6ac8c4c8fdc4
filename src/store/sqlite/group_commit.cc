#include "store/sqlite/group_commit.h"

#include <sqlite3.h>

#include "store/sqlite/sqlite_error.h"

namespace mcpkeep::store {

GroupCommit::GroupCommit(std::unique_ptr<Connection> connection, std::size_t max_batch,
                         std::chrono::microseconds commit_delay)
    : connection_(std::move(connection)),
      max_batch_(max_batch == 0 ? 1 : max_batch),
      commit_delay_(commit_delay) {}

void GroupCommit::write(const Operation& op) {
  Writer writer(op, true);
  submit(writer);
}

void GroupCommit::exclusive(const Operation& op) {
  Writer writer(op, false);
  ++transactions_;  // before and after: a watcher looking meanwhile sees it
  submit(writer);
  ++transactions_;
}

WriteStats GroupCommit::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  WriteStats s;
  // One observation per committed transaction, of its number of writes.
  s.commits = batch_sizes_.count;
  s.writes = static_cast<int64_t>(batch_sizes_.sum);
  s.commit_seconds = commit_seconds_;
  s.batch_sizes = batch_sizes_;
  return s;
}

void GroupCommit::submit(Writer& writer) {
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

// Runs one operation, keeping its error (as mcpkeep::Error if SQLite's).
void GroupCommit::runOne(Writer& writer) {
  try {
    (*writer.op)(*connection_);
  } catch (const SQLite::Exception& e) {
    writer.error = std::make_exception_ptr(
        translateSqliteError(e, "writing to " + connection_->path()));
  } catch (...) {
    writer.error = std::current_exception();
  }
}

bool GroupCommit::gatherInto(std::vector<Writer*>& batch) const {
  const std::size_t before = batch.size();
  for (std::size_t i = batch.size(); i < queue_.size() && batch.size() < max_batch_; ++i) {
    if (!queue_[i]->transactional) break;
    batch.push_back(queue_[i]);
  }
  return batch.size() > before;
}

void GroupCommit::runBatch(std::vector<Writer*>& batch, std::unique_lock<std::mutex>& lock) {
  gatherInto(batch);
  lock.unlock();
  sqlite3* handle = connection_->db().getHandle();
  const auto began = std::chrono::steady_clock::now();
  bool committed = false;
  try {
    Connection::Transaction transaction(*connection_, "BEGIN IMMEDIATE");
    std::size_t next = 0;
    bool lost = false;
    do {
      for (; next < batch.size() && !lost; ++next) {
        Writer* w = batch[next];
        connection_->query("SAVEPOINT write")->exec();
        runOne(*w);
        if (w->error && sqlite3_get_autocommit(handle)) {
          // SQLite rolled the whole transaction back (disk full, I/O error):
          // every write of the batch is lost, so every writer gets the error.
          lost = true;
          for (Writer* other : batch) {
            if (!other->error) other->error = w->error;
          }
          break;
        }
        if (w->error) connection_->query("ROLLBACK TO write")->exec();
        connection_->query("RELEASE write")->exec();
      }
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
        transaction.commit();
        committed = true;
      }
    } while (!committed);
  } catch (const SQLite::Exception& e) {
    const auto error = std::make_exception_ptr(translateSqliteError(
        e, "committing " + std::to_string(batch.size()) + " write(s) to " + connection_->path()));
    for (Writer* w : batch) {
      if (!w->error) w->error = error;
    }
  }
  lock.lock();
  last_active_ = queue_.size();  // this batch and the writers waiting behind it
  if (committed) {
    ++transactions_;
    commit_seconds_.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count());
    batch_sizes_.observe(static_cast<double>(batch.size()));
  }
}
}  // namespace mcpkeep::store
