#include "store/group_commit.h"

#include <sqlite3.h>

#include <SQLiteCpp/Transaction.h>

#include "store/sqlite_error.h"

namespace mcpkeep::store {

GroupCommit::GroupCommit(std::unique_ptr<Connection> connection, std::size_t max_batch)
    : connection_(std::move(connection)), max_batch_(max_batch == 0 ? 1 : max_batch) {}

void GroupCommit::write(const Operation& op) {
  Writer writer(op, true);
  submit(writer);
}

void GroupCommit::exclusive(const Operation& op) {
  Writer writer(op, false);
  submit(writer);
}

WriteStats GroupCommit::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  WriteStats s;
  s.commits = commits_;
  s.writes = writes_;
  return s;
}

void GroupCommit::submit(Writer& writer) {
  std::unique_lock<std::mutex> lock(mutex_);
  queue_.push_back(&writer);
  writer.wake.wait(lock, [&] { return writer.done || queue_.front() == &writer; });

  if (!writer.done) {
    // This writer leads: take it and the transactional writers behind it.
    std::vector<Writer*> batch;
    for (Writer* w : queue_) {
      if (batch.size() == max_batch_ || w->transactional != writer.transactional) break;
      batch.push_back(w);
      if (!writer.transactional) break;
    }
    lock.unlock();
    if (writer.transactional) {
      runBatch(batch);
    } else {
      runAlone(writer);
    }
    lock.lock();
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

void GroupCommit::runAlone(Writer& writer) { runOne(writer); }

void GroupCommit::runBatch(const std::vector<Writer*>& batch) {
  sqlite3* handle = connection_->db().getHandle();
  try {
    SQLite::Transaction transaction(connection_->db(), SQLite::TransactionBehavior::IMMEDIATE);
    for (Writer* w : batch) {
      connection_->query("SAVEPOINT write")->exec();
      runOne(*w);
      if (w->error && sqlite3_get_autocommit(handle)) {
        // SQLite rolled the whole transaction back (disk full, I/O error):
        // every write of the batch is lost, so every writer gets the error.
        for (Writer* other : batch) {
          if (!other->error) other->error = w->error;
        }
        return;
      }
      if (w->error) connection_->query("ROLLBACK TO write")->exec();
      connection_->query("RELEASE write")->exec();
    }
    transaction.commit();
  } catch (const SQLite::Exception& e) {
    const auto error = std::make_exception_ptr(translateSqliteError(
        e, "committing " + std::to_string(batch.size()) + " write(s) to " + connection_->path()));
    for (Writer* w : batch) {
      if (!w->error) w->error = error;
    }
    return;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  ++commits_;
  writes_ += static_cast<int64_t>(batch.size());
}

}  // namespace mcpkeep::store
