#include "store/postgres/pg_listener.h"

#include <poll.h>
#include <unistd.h>

#include <sstream>

#include "log/log.h"
#include "store/postgres/pg_connection.h"

namespace mcpkeep::store {
namespace {

// Notifications kept for marks that look less often; a mark further behind
// is told "everything".
constexpr std::size_t kKept = 4096;
// Between attempts to reach a server that went away.
constexpr int kReconnectMillis = 200;

}  // namespace

PgListener::PgListener(std::string conninfo, std::string replica)
    : conninfo_(std::move(conninfo)), messages_word_("@" + std::move(replica)) {
  if (::pipe(stop_pipe_) != 0) throw Error(ErrorCode::kInternal, "cannot create a pipe");
  thread_ = std::thread([this] { run(); });
}

PgListener::~PgListener() {
  const char stop = 's';
  [[maybe_unused]] const ssize_t n = ::write(stop_pipe_[1], &stop, 1);
  thread_.join();
  ::close(stop_pipe_[0]);
  ::close(stop_pipe_[1]);
}

uint64_t PgListener::watch(std::function<void()> wake) {
  std::lock_guard<std::mutex> lock(watchers_mutex_);
  watchers_[++last_handle_] = std::move(wake);
  return last_handle_;
}

void PgListener::unwatch(uint64_t handle) {
  std::lock_guard<std::mutex> lock(watchers_mutex_);
  watchers_.erase(handle);
}

int64_t PgListener::connects() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return connects_;
}

void PgListener::hear(std::vector<std::string> sessions, bool everything, bool messages) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    heard_.push_back({++last_number_, std::move(sessions), everything, messages});
    if (heard_.size() > kKept) heard_.pop_front();
  }
  std::lock_guard<std::mutex> lock(watchers_mutex_);
  for (const auto& [handle, wake] : watchers_) wake();
}

Store::Changes PgListener::changesSince(Store::ChangeMark& mark) {
  std::lock_guard<std::mutex> lock(mutex_);
  Store::Changes changes;
  const uint64_t seen = static_cast<uint64_t>(mark.data_version);
  if (!mark.initialized) {
    mark.initialized = true;
  } else if (last_number_ > seen) {
    if (heard_.empty() || heard_.front().number > seen + 1) changes.everything = true;
    for (const Heard& h : heard_) {
      if (h.number <= seen) continue;
      changes.everything = changes.everything || h.everything;
      changes.messages = changes.messages || h.messages;
      changes.sessions.insert(changes.sessions.end(), h.sessions.begin(), h.sessions.end());
    }
  }
  mark.data_version = static_cast<int64_t>(last_number_);
  return changes;
}

void PgListener::run() {
  std::unique_ptr<PgConnection> c;
  bool stopping = false;
  while (!stopping) {
    if (!c || !c->usable()) {
      c.reset();
      try {
        c = std::make_unique<PgConnection>(conninfo_);
        c->exec(std::string("LISTEN ") + PgConnection::kChannel);
        {
          std::lock_guard<std::mutex> lock(mutex_);
          ++connects_;
        }
        hear({}, true, false);  // what was sent while no one listened: read again
      } catch (const std::exception& e) {
        c.reset();
        log::debug("mcpkeep.store", "listening for commits failed", {{"error", e.what()}});
      }
    }
    pollfd fds[2] = {{stop_pipe_[0], POLLIN, 0}, {c ? c->socket() : -1, POLLIN, 0}};
    ::poll(fds, c ? 2 : 1, c ? -1 : kReconnectMillis);
    if (fds[0].revents != 0) stopping = true;
    if (!c || fds[1].revents == 0) continue;
    if (PQconsumeInput(c->raw()) == 0) {
      c.reset();  // lost: reconnect at the top
      continue;
    }
    while (PGnotify* n = PQnotifies(c->raw())) {
      const std::string payload = n->extra;
      PQfreemem(n);
      std::vector<std::string> sessions;
      bool messages = false;
      std::istringstream words(payload);
      for (std::string word; words >> word;) {
        if (word[0] != '@') {
          sessions.push_back(word);
        } else {
          messages = messages || word == messages_word_;
        }
      }
      const bool everything = payload == "*";
      if (everything) sessions.clear();
      hear(std::move(sessions), everything, messages);
    }
  }
}

}  // namespace mcpkeep::store
