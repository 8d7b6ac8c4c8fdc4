// mcp::ServingLock: one live MCP server per database file, in any process.
// Creating an McpServer answers the requests a dead server left open; beside
// a live server of the same file that would end its live streams, and two
// servers would each wait on streams the other owns. So the second is
// refused, told which server holds the file. The lock is an flock on
// "<db>.serving", which the kernel releases when the holder ends, however
// it ends (kill -9 too), so a new server starts at once after it. The file
// names the holder (pid, address, since when) for that message. Admin
// commands and the sqlite3 CLI do not take it and work beside a server.
#pragma once

#include <string>

namespace mcpkeep::mcp {

class ServingLock {
 public:
  // Takes the lock on `db` for this server. Throws Error(kBusy) naming the
  // holder when another server holds it, Error(kCantOpen) when the lock
  // file cannot be made.
  explicit ServingLock(const std::string& db);
  ~ServingLock();
  ServingLock(const ServingLock&) = delete;
  ServingLock& operator=(const ServingLock&) = delete;

  // Records where this server listens, for the message a second one gets.
  void describe(const std::string& url);

 private:
  void write(const std::string& holder);

  const std::string path_;
  int fd_ = -1;
};

}  // namespace mcpkeep::mcp
