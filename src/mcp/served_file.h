// mcp::ServedFile: what every answerer does before it serves a database,
// and while it does: finish what dead servers left. Every request on a
// request stream of a dead replica is answered with the interrupted JSON-RPC
// error, committed on its stream so a client that resumes gets it, and the
// stream marked interrupted. A file is served by one process at a time
// (ServingLock), so every other replica is dead at start; on a shared
// database (PostgreSQL) a replica is dead once its lease ran out, and a
// thread looks for such streams every half lease.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <mcpkeep/store.h>

#include "mcp/serving_lock.h"

namespace mcpkeep::mcp {

class ServedFile {
 public:
  // Throws Error(kBusy) naming the live server that holds the file.
  // `resumes`: streams the new server will answer itself (left open), at start.
  explicit ServedFile(Store& store, const std::function<bool(const Stream&)>& resumes = nullptr);
  ~ServedFile();
  ServedFile(const ServedFile&) = delete;
  ServedFile& operator=(const ServedFile&) = delete;

  // Records where this server listens (see ServingLock::describe), in the
  // lock file and the replicas table.
  void describe(const std::string& url);

 private:
  Store& store_;
  std::optional<ServingLock> lock_;  // a file's; none on a shared database
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread watcher_;  // ends dead replicas' streams (shared database)
};

}  // namespace mcpkeep::mcp
