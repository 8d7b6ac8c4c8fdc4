#include "mcp/serving_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>

#include <mcpkeep/error.h>

namespace mcpkeep::mcp {

ServingLock::ServingLock(const std::string& db) : path_(db + ".serving") {
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw Error(ErrorCode::kCantOpen, "cannot open " + path_ + ": " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    std::string holder(256, '\0');
    const ssize_t n = ::pread(fd_, holder.data(), holder.size(), 0);
    holder.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == '\0')) holder.pop_back();
    ::close(fd_);
    fd_ = -1;
    if (error != EWOULDBLOCK) throw Error(ErrorCode::kCantOpen, "cannot lock " + path_ + ": " + std::strerror(error));
    throw Error(ErrorCode::kBusy, db + " is served by another mcpkeep (" + (holder.empty() ? "starting" : holder) +
                                      "); stop it or use another database file (one server per file)");
  }
  write("pid " + std::to_string(::getpid()) + ", starting");
}

ServingLock::~ServingLock() {
  // The file stays: removing it could let two servers lock two files of
  // one name. Closing the descriptor releases the lock.
  if (fd_ >= 0) ::close(fd_);
}

void ServingLock::describe(const std::string& url) {
  write("pid " + std::to_string(::getpid()) + ", " + url + ", since " +
        Poco::DateTimeFormatter::format(Poco::Timestamp(), "%Y-%m-%dT%H:%M:%SZ"));
}

void ServingLock::write(const std::string& holder) {
  // Best effort: the lock, not this text, keeps a second server out.
  const std::string line = holder + "\n";
  if (::ftruncate(fd_, 0) != 0) return;
  [[maybe_unused]] const ssize_t written = ::pwrite(fd_, line.data(), line.size(), 0);
}

}  // namespace mcpkeep::mcp
