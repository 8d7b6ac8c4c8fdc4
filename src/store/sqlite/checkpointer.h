// store::Checkpointer: copies the WAL back into the database file, mostly on
// a thread of its own. SQLite's automatic checkpoint copies every frame
// inside the commit that crosses its threshold, so that commit's writers
// wait for the whole copy.
//
// The writer connection's WAL hook, which replaces the automatic checkpoint,
// reports the WAL's size after each commit. Every `step_pages` it wakes the
// thread, which runs a PASSIVE checkpoint on its own connection (that never
// blocks the writer or readers). At `threshold_pages` the writer checkpoints
// as SQLite would, but finds little left to copy. That last part stays with
// the writer: only a checkpoint between two commits copies every frame, and
// only then does the next commit start the WAL over instead of growing it.
//
// Thread safety: internal; the writer connection may commit from any thread.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "store/sqlite/connection.h"

struct sqlite3;

namespace mcpkeep::store {

class Checkpointer {
 public:
  // Hooks `writer` (a connection to the same file) until destruction.
  Checkpointer(std::unique_ptr<Connection> connection, sqlite3* writer, int step_pages,
               int threshold_pages);
  // Unhooks the writer, then stops the thread. No commit may run meanwhile.
  ~Checkpointer();

  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

 private:
  static int onCommit(void* self, sqlite3* db, const char* schema, int wal_pages);
  void run();

  std::unique_ptr<Connection> connection_;
  sqlite3* const writer_;
  const int step_pages_;
  const int threshold_pages_;
  int woken_at_pages_ = 0;  // writer's thread only

  // Held while either side checkpoints: SQLite lets one checkpoint run at a
  // time and a PASSIVE one gives up at once on a busy lock, so without it
  // the writer's copy could fail whenever the thread's is running, and the
  // WAL grow past its bound.
  std::mutex copying_;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool due_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace mcpkeep::store
