#include "gateway/spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "gateway/upstream.h"

extern char** environ;

namespace mcpkeep::gateway {
namespace {

// PR_SET_PDEATHSIG fires when the *thread* that forked ends, not the
// process; pool threads come and go. So every child is forked by one thread
// that lives as long as the process (deliberately never joined or freed).
class Forker {
 public:
  static Forker& instance() {
    static Forker* forker = new Forker();
    return *forker;
  }

  // Runs `fork_and_report` on the forking thread and waits for it.
  void run(const std::function<void()>& fork_and_report) {
    std::unique_lock<std::mutex> lock(mutex_);
    bool done = false;
    tasks_.push_back([&] {
      fork_and_report();
      std::lock_guard<std::mutex> finished(mutex_);
      done = true;
      done_.notify_all();
    });
    wake_.notify_one();
    done_.wait(lock, [&] { return done; });
  }

 private:
  Forker() {
    std::thread([this] {
      for (;;) {
        std::function<void()> task;
        {
          std::unique_lock<std::mutex> lock(mutex_);
          wake_.wait(lock, [&] { return !tasks_.empty(); });
          task = std::move(tasks_.front());
          tasks_.pop_front();
        }
        task();
      }
    }).detach();
  }

  std::mutex mutex_;
  std::condition_variable wake_, done_;
  std::deque<std::function<void()>> tasks_;
};

void closePair(int fds[2]) {
  for (int i = 0; i < 2; ++i) {
    if (fds[i] >= 0) close(fds[i]);
  }
}

// The environment: mcpkeep's, with `extra` ("NAME=value") over it.
std::vector<std::string> environment(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    const std::string entry(*e);
    const std::string name = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const std::string& x : extra) replaced = replaced || x.compare(0, name.size() + 1, name + "=") == 0;
    if (!replaced) env.push_back(entry);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> p;
  for (std::string& s : strings) p.push_back(s.data());
  p.push_back(nullptr);
  return p;
}

// In the child, between fork and exec: async-signal-safe calls only.
// Reports errno on `report` when it fails; exec closes `report` otherwise.
[[noreturn]] void becomeChild(int in_read, int out_write, int err_write, int report,
                              pid_t parent, const char* cwd, char* const argv[], char* const envp[]) {
  setsid();
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(127);  // mcpkeep died before the line above
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int signal_number = 1; signal_number < NSIG; ++signal_number) signal(signal_number, SIG_DFL);
  if (dup2(in_read, 0) < 0 || dup2(out_write, 1) < 0 || dup2(err_write, 2) < 0) {
    const int e = errno;
    (void)!write(report, &e, sizeof e);
    _exit(127);
  }
  if (report != 3) {
    dup2(report, 3);
    fcntl(3, F_SETFD, FD_CLOEXEC);
    report = 3;
  }
  syscall(SYS_close_range, 4U, ~0U, 0U);  // nothing of mcpkeep's: not the database, not its lock
  if (cwd[0] != '\0' && chdir(cwd) != 0) {
    const int e = -errno;  // negative: the directory, not the command
    (void)!write(report, &e, sizeof e);
    _exit(127);
  }
  execvpe(argv[0], argv, envp);
  const int e = errno;
  (void)!write(report, &e, sizeof e);
  _exit(127);
}

}  // namespace

Child spawnChild(const Command& command) {
  std::vector<std::string> args = command.argv;
  std::vector<std::string> env = environment(command.env);
  std::vector<char*> argv = pointers(args);
  std::vector<char*> envp = pointers(env);
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1}, report[2] = {-1, -1};
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0 ||
      pipe2(report, O_CLOEXEC) != 0) {
    const int e = errno;
    closePair(in), closePair(out), closePair(err), closePair(report);
    throw UpstreamError("cannot start '" + command.display() + "': " + std::strerror(e));
  }
  Child child;
  int fork_errno = 0;
  const pid_t parent = getpid();
  Forker::instance().run([&] {
    child.pid = fork();
    if (child.pid == 0) {
      becomeChild(in[0], out[1], err[1], report[1], parent, command.cwd.c_str(), argv.data(), envp.data());
    }
    if (child.pid < 0) fork_errno = errno;
  });
  close(in[0]), close(out[1]), close(err[1]), close(report[1]);
  if (child.pid < 0) {
    close(in[1]), close(out[0]), close(err[0]), close(report[0]);
    throw UpstreamError("cannot start '" + command.display() + "': fork: " + std::strerror(fork_errno));
  }
  int exec_errno = 0;
  ssize_t n;
  do {
    n = read(report[0], &exec_errno, sizeof exec_errno);
  } while (n < 0 && errno == EINTR);
  close(report[0]);
  if (n > 0) {  // exec failed; the child has exited
    close(in[1]), close(out[0]), close(err[0]);
    int status = 0;
    while (waitpid(child.pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (exec_errno < 0) {
      throw UpstreamError("cannot start '" + command.display() + "': directory '" + command.cwd +
                          "': " + std::strerror(-exec_errno));
    }
    throw UpstreamError("cannot start '" + command.display() + "': " + std::strerror(exec_errno));
  }
  child.in = in[1];
  child.out = out[0];
  child.err = err[0];
  return child;
}

}  // namespace mcpkeep::gateway
