// mcp::ServedFile: what every answerer does before it serves a database:
// take the file (ServingLock: one live server per file), then finish what a
// dead server left: every request on a request stream still open is
// answered with the interrupted JSON-RPC error, committed on its stream so a
// client that resumes gets it, and the stream marked interrupted.
#pragma once

#include <functional>
#include <string>

#include <mcpkeep/store.h>

#include "mcp/serving_lock.h"

namespace mcpkeep::mcp {

class ServedFile {
 public:
  // Throws Error(kBusy) naming the live server that holds the file.
  // `resumes`: streams the new server will answer itself (left open).
  explicit ServedFile(Store& store, const std::function<bool(const Stream&)>& resumes = nullptr);

  // Records where this server listens (see ServingLock::describe).
  void describe(const std::string& url) { lock_.describe(url); }

 private:
  ServingLock lock_;
};

}  // namespace mcpkeep::mcp
