// app::ServeLock: one live `mcpkeep serve` per database file. Two servers on
// one file would each end the other's live streams as interrupted at
// start-up and neither would end a dead one's, so the second is refused,
// told which server holds the file. The lock is an flock on "<db>.serving",
// which the kernel releases when the holder ends, however it ends (kill -9
// too), so a new server starts at once after it. The file names the holder
// (pid, address, since when) for that message; admin commands and the
// sqlite3 CLI do not take the lock and work beside a server.
#pragma once

#include <stdexcept>
#include <string>

namespace mcpkeep::app {

class ServeLock {
 public:
  // Takes the lock on `db` for this process. Throws std::runtime_error
  // naming the holder when another server holds it, or saying why the lock
  // file cannot be made.
  explicit ServeLock(const std::string& db);
  ~ServeLock();
  ServeLock(const ServeLock&) = delete;
  ServeLock& operator=(const ServeLock&) = delete;

  // Records where this server listens, for the message a second one gives.
  void describe(const std::string& url);

 private:
  void write(const std::string& holder);

  const std::string path_;
  int fd_ = -1;
};

}  // namespace mcpkeep::app
