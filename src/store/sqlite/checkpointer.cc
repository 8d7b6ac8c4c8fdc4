#include "store/sqlite/checkpointer.h"

#include <sqlite3.h>

namespace mcpkeep::store {

Checkpointer::Checkpointer(std::unique_ptr<Connection> connection, sqlite3* writer,
                           int step_pages, int threshold_pages)
    : connection_(std::move(connection)),
      writer_(writer),
      step_pages_(step_pages),
      threshold_pages_(threshold_pages) {
  thread_ = std::thread([this] { run(); });
  sqlite3_wal_hook(writer_, &Checkpointer::onCommit, this);
}

Checkpointer::~Checkpointer() {
  sqlite3_wal_hook(writer_, nullptr, nullptr);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

int Checkpointer::onCommit(void* self, sqlite3* db, const char* schema, int wal_pages) {
  auto& c = *static_cast<Checkpointer*>(self);
  if (wal_pages >= c.threshold_pages_) {
    c.woken_at_pages_ = 0;
    // What SQLite's automatic checkpoint does; its errors are not the commit's.
    std::lock_guard<std::mutex> copying(c.copying_);
    sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    return SQLITE_OK;
  }
  if (wal_pages < c.woken_at_pages_) c.woken_at_pages_ = 0;  // the WAL started over
  if (wal_pages - c.woken_at_pages_ >= c.step_pages_) {
    c.woken_at_pages_ = wal_pages;
    std::lock_guard<std::mutex> lock(c.mutex_);
    c.due_ = true;
    c.wake_.notify_one();
  }
  return SQLITE_OK;
}

void Checkpointer::run() {
  sqlite3* handle = connection_->db().getHandle();
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return due_ || stopping_; });
    if (stopping_) return;
    due_ = false;
    lock.unlock();
    // A failure (I/O error, another checkpoint holding the lock) leaves the
    // frames in the WAL, where readers still find them; the writer's own
    // checkpoint at the threshold copies them.
    {
      std::lock_guard<std::mutex> copying(copying_);
      sqlite3_wal_checkpoint_v2(handle, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    }
    lock.lock();
  }
}

}  // namespace mcpkeep::store
