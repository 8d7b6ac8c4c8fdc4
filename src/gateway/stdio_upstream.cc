#include "gateway/stdio_upstream.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "log/log.h"

namespace mcpkeep::gateway {

using nlohmann::json;

namespace {

constexpr const char* kLogger = "mcpkeep.upstream";
constexpr std::size_t kStderrTailLines = 5;
// A longer line is dropped: an upstream cannot make mcpkeep hold without end.
constexpr std::size_t kMaxLineBytes = 64 << 20;

std::string describeStatus(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("was killed by signal ") + strsignal(WTERMSIG(status));
  return "ended";
}

// Splits what arrives on one descriptor into lines.
struct LineReader {
  explicit LineReader(int descriptor) : fd(descriptor) {}
  int fd;
  std::string pending;
  bool overlong = false;
  bool open = true;

  // Reads what is there; calls `line` for each complete line.
  template <typename OnLine>
  void read(OnLine&& line) {
    char buffer[65536];
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n <= 0) {
      if (!pending.empty() && !overlong) line(pending);
      pending.clear();
      open = false;
      return;
    }
    std::size_t start = 0;
    for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
      if (buffer[i] != '\n') continue;
      pending.append(buffer + start, i - start);
      if (!overlong) line(pending);
      pending.clear();
      overlong = false;
      start = i + 1;
    }
    pending.append(buffer + start, static_cast<std::size_t>(n) - start);
    if (pending.size() > kMaxLineBytes) {
      pending.clear();
      overlong = true;
    }
  }
};

}  // namespace

StdioUpstream::StdioUpstream(const Command& command, Receiver receiver, std::string log_context)
    : Upstream(std::move(log_context)), name_(command.display()), receiver_(std::move(receiver)) {
  if (pipe2(wake_, O_CLOEXEC) != 0) throw UpstreamError("cannot start '" + name_ + "': " + std::strerror(errno));
  try {
    child_ = spawnChild(command);
  } catch (...) {
    close(wake_[0]);
    close(wake_[1]);
    throw;
  }
  log::info(kLogger, "upstream started", {{"session", logContext()}, {"command", name_},
                                           {"pid", std::to_string(child_.pid)}});
  reader_ = std::thread([this] { readUntilEnd(); });
}

StdioUpstream::~StdioUpstream() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  {
    std::lock_guard<std::mutex> lock(write_mutex_);
    if (stdin_open_) close(child_.in);  // a stdio server ends at the end of its input
    stdin_open_ = false;
  }
  {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!exited_cv_.wait_for(lock, std::chrono::seconds(1), [&] { return exited_; })) {
      kill(-child_.pid, SIGTERM);
      if (!exited_cv_.wait_for(lock, std::chrono::seconds(2), [&] { return exited_; })) {
        kill(-child_.pid, SIGKILL);
      }
    }
  }
  (void)!write(wake_[1], "x", 1);  // a grandchild may hold the pipes open
  if (reader_.get_id() == std::this_thread::get_id()) {
    reader_.detach();  // dropped by its own callback: it returns right after
  } else {
    reader_.join();
  }
  close(child_.out);
  close(child_.err);
  close(wake_[0]);
  close(wake_[1]);
}

namespace {

// write() on a pipe whose reader is gone raises SIGPIPE, which would end
// mcpkeep: this thread blocks it for the write and takes back one it raised.
class NoSigpipe {
 public:
  NoSigpipe() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~NoSigpipe() {
    sigset_t pending;
    sigpending(&pending);
    if (sigismember(&pending, SIGPIPE) && !sigismember(&old_, SIGPIPE)) {
      const timespec now{0, 0};
      sigtimedwait(&pipe_, nullptr, &now);
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t pipe_, old_;
};

}  // namespace

void StdioUpstream::send(const json& message) {
  std::string line = message.dump();
  line += '\n';
  std::lock_guard<std::mutex> lock(write_mutex_);
  const NoSigpipe no_sigpipe;
  std::size_t written = 0;
  while (stdin_open_ && written < line.size()) {
    const ssize_t n = ::write(child_.in, line.data() + written, line.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      // It exited, or closed its input: either way it cannot serve. Ending
      // it (a no-op when it exited) makes the reader report how it ended.
      const int e = errno;
      close(child_.in);
      stdin_open_ = false;
      kill(-child_.pid, SIGKILL);
      throw UpstreamError("upstream '" + name_ + "' does not read its input: " + std::strerror(e));
    }
    written += static_cast<std::size_t>(n);
  }
  if (!stdin_open_) throw UpstreamError("upstream '" + name_ + "' has ended");
}

void StdioUpstream::onLine(bool from_stdout, const std::string& line) {
  if (!from_stdout) {
    log::info(kLogger, "upstream stderr", {{"session", logContext()}, {"line", line}});
    std::lock_guard<std::mutex> lock(mutex_);
    stderr_tail_.push_back(line.substr(0, 500));
    if (stderr_tail_.size() > kStderrTailLines) stderr_tail_.pop_front();
    return;
  }
  if (line.find_first_not_of(" \t\r") == std::string::npos) return;
  json message = json::parse(line, nullptr, false);
  if (!message.is_object()) {
    log::warning(kLogger, "upstream wrote a line that is not a JSON-RPC message",
                 {{"session", logContext()}, {"line", line.substr(0, 200)}});
    std::lock_guard<std::mutex> lock(mutex_);
    not_json_ = line.substr(0, 200);
    return;
  }
  receiver_.message(message);
}

std::string StdioUpstream::recentOutput() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string tail;
  for (const std::string& line : stderr_tail_) tail += (tail.empty() ? "" : " | ") + line;
  if (!not_json_.empty()) tail += std::string(tail.empty() ? "" : "; ") + "stdout had: " + not_json_;
  return tail;
}

void StdioUpstream::readUntilEnd() {
  LineReader out(child_.out), err(child_.err);
  bool woken = false;
  while (out.open && !woken) {
    pollfd fds[3] = {{child_.out, POLLIN, 0}, {err.open ? child_.err : -1, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (poll(fds, 3, -1) < 0 && errno != EINTR) break;
    if (fds[0].revents) out.read([&](const std::string& line) { onLine(true, line); });
    if (fds[1].revents) err.read([&](const std::string& line) { onLine(false, line); });
    woken = fds[2].revents != 0;
  }
  // Its last words on stderr usually follow closely.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
  while (err.open && !woken && std::chrono::steady_clock::now() < deadline) {
    pollfd fd{child_.err, POLLIN, 0};
    if (poll(&fd, 1, 50) > 0) err.read([&](const std::string& line) { onLine(false, line); });
  }
  // Wait for it without reaping, so its process group id cannot be reused
  // before what it started is stopped with it.
  siginfo_t info{};
  while (waitid(P_PID, static_cast<id_t>(child_.pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR) {
  }
  kill(-child_.pid, SIGKILL);
  int status = 0;
  while (waitpid(child_.pid, &status, 0) < 0 && errno == EINTR) {
  }
  bool report;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    exited_ = true;
    report = !stopping_;
  }
  exited_cv_.notify_all();
  const std::string how = describeStatus(status);
  log::info(kLogger, "upstream ended", {{"session", logContext()}, {"command", name_}, {"status", how}});
  if (report) {
    const std::string tail = recentOutput();
    receiver_.ended("upstream '" + name_ + "' " + how + (tail.empty() ? "" : ": " + tail));
  }
}

}  // namespace mcpkeep::gateway
