#include "http/parked_streams.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <system_error>

namespace mcpkeep::http {
namespace {

// Output a stream may have waiting before it takes more from the store.
constexpr std::size_t kHighWater = 64 * 1024;
// How long a finished response waits for the client to close first.
constexpr auto kLinger = std::chrono::seconds(1);

void appendChunk(std::string& out, const std::string& data) {
  if (data.empty()) return;
  char size[20];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  out.append(size).append(data).append("\r\n");
}

}  // namespace

struct ParkedStreams::Stream {
  Stream(int f, Subscription s, SseRelay r, std::shared_ptr<void> h)
      : fd(f), subscription(std::move(s)), relay(std::move(r)), hold(std::move(h)) {}
  ~Stream() { ::close(fd); }

  uint64_t key = 0;
  int fd;
  Subscription subscription;
  SseRelay relay;
  std::shared_ptr<void> hold;

  std::string out;        // bytes for the client, from `sent` on
  std::size_t sent = 0;
  bool ending = false;    // the last chunk is in `out`
  bool lingering = false; // all sent; waiting for the client to close
  bool want_output = false;  // registered for EPOLLOUT
  Clock::time_point last_write;     // for keep-alives
  Clock::time_point last_progress;  // the client last took output
  Clock::time_point linger_until;
  Clock::time_point timer = Clock::time_point::max();

  std::size_t unsent() const { return out.size() - sent; }
};

ParkedStreams::ParkedStreams(std::chrono::milliseconds idle_timeout) : idle_timeout_(idle_timeout) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (epoll_fd_ < 0 || wake_fd_ < 0) {
    throw std::system_error(errno, std::generic_category(), "creating the event loop for SSE streams");
  }
  epoll_event wake{};
  wake.events = EPOLLIN;
  wake.data.u64 = 0;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &wake);
  loop_ = std::thread([this] { run(); });
}

ParkedStreams::~ParkedStreams() {
  stop(Clock::now());
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

void ParkedStreams::park(int fd, std::string head, std::string body, bool ended,
                         Subscription subscription, SseRelay relay, std::shared_ptr<void> hold) {
  auto stream = std::make_unique<Stream>(fd, std::move(subscription), std::move(relay), std::move(hold));
  stream->out = std::move(head);
  appendChunk(stream->out, body);
  if (ended) {
    stream->out.append("0\r\n\r\n");
    stream->ending = true;
  }
  // The waker runs under the session's bell lock and takes mutex_: so
  // nothing touches a subscription's waker while holding mutex_.
  stream->key = next_key_++;
  const uint64_t key = stream->key;
  stream->subscription.setWaker([this, key] { wake(key); });
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!stopping_) {
      incoming_.push_back(std::move(stream));
      ++size_;
    }
  }
  if (stream) return;  // stopping: it closes here; the client resumes later
  const uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
}

void ParkedStreams::wake(uint64_t key) {
  bool first;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    first = ready_.empty();
    ready_.push_back(key);
  }
  if (first) {
    const uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof one);
  }
}

void ParkedStreams::stop(Clock::time_point until) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!stopping_) {
      stopping_ = true;
      stop_by_ = until;
    } else {
      stop_by_ = std::min(stop_by_, until);
    }
  }
  const uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
  if (loop_.joinable()) loop_.join();
}

void ParkedStreams::run() {
  std::vector<epoll_event> events(256);
  std::vector<std::unique_ptr<Stream>> incoming;
  std::vector<uint64_t> ready;
  for (;;) {
    bool stopping;
    Clock::time_point stop_by;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      incoming.swap(incoming_);
      ready.swap(ready_);
      stopping = stopping_;
      stop_by = stop_by_;
    }
    for (auto& stream : incoming) adopt(std::move(stream));
    incoming.clear();
    for (uint64_t key : ready) {
      auto it = streams_.find(key);
      if (it != streams_.end()) pump(*it->second);
    }
    ready.clear();

    const auto now = Clock::now();
    while (!timers_.empty() && timers_.begin()->first <= now) {
      const uint64_t key = timers_.begin()->second;
      timers_.erase(timers_.begin());
      auto it = streams_.find(key);
      if (it == streams_.end()) continue;
      it->second->timer = Clock::time_point::max();
      onTimer(*it->second, now);
    }
    if (stopping && (streams_.empty() || now >= stop_by)) break;

    Clock::time_point next = timers_.empty() ? Clock::time_point::max() : timers_.begin()->first;
    if (stopping) next = std::min(next, stop_by);
    int timeout_ms = -1;
    if (next != Clock::time_point::max()) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(next - Clock::now()).count();
      timeout_ms = static_cast<int>(std::max<int64_t>(0, std::min<int64_t>(left + 1, 60000)));
    }
    const int n = ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), timeout_ms);
    for (int i = 0; i < n; ++i) {
      const uint64_t key = events[i].data.u64;
      if (key == 0) {
        uint64_t count;
        (void)!::read(wake_fd_, &count, sizeof count);
        continue;
      }
      auto it = streams_.find(key);
      if (it == streams_.end()) continue;
      Stream& stream = *it->second;
      if (events[i].events & (EPOLLHUP | EPOLLERR | EPOLLRDHUP)) {
        close(key);  // the client hung up; what it missed stays in the store
        continue;
      }
      if (events[i].events & EPOLLIN) {
        char drop[4096];
        const ssize_t got = ::recv(stream.fd, drop, sizeof drop, MSG_DONTWAIT);
        if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) {
          close(key);
          continue;
        }
      }
      if (events[i].events & EPOLLOUT) {
        flush(stream);
        if (streams_.count(key) && !stream.ending) pump(stream);
      }
    }
  }
  // Stopped: whatever is still here is cut off.
  while (!streams_.empty()) close(streams_.begin()->first);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    incoming.swap(incoming_);
  }
  size_ -= incoming.size();
  incoming.clear();  // outside mutex_ (see park())
}

void ParkedStreams::adopt(std::unique_ptr<Stream> stream) {
  Stream& s = *stream;
  epoll_event interest{};
  interest.events = EPOLLIN | EPOLLRDHUP;
  interest.data.u64 = s.key;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, s.fd, &interest) != 0) {
    --size_;
    return;  // the descriptor is unusable; the stream closes
  }
  s.last_write = s.last_progress = Clock::now();
  streams_.emplace(s.key, std::move(stream));
  if (s.ending) {
    flush(s);
  } else {
    pump(s);
  }
}

void ParkedStreams::pump(Stream& s) {
  const uint64_t key = s.key;
  // Until the subscription has nothing more now, or the client is not
  // taking what was written: a backlog (a long replay) goes out in
  // kHighWater pieces while the socket takes them, with no ring needed.
  for (;;) {
    if (s.ending) return;
    std::string text;
    bool more = false;  // stopped for the high-water mark, not for lack of news
    bool end = false;
    for (;;) {
      if (s.unsent() + text.size() >= kHighWater) {
        more = true;
        break;
      }
      const Delivery next = s.subscription.next(std::chrono::milliseconds(0));
      const SseRelay::Next what = s.relay.take(next, s.subscription, text);
      if (what == SseRelay::Next::kWait) break;
      if (what == SseRelay::Next::kEnd) {
        end = true;
        break;
      }
    }
    if (!text.empty()) {
      appendChunk(s.out, text);
      s.last_write = Clock::now();
    }
    if (end) {
      s.out.append("0\r\n\r\n");
      s.ending = true;
    }
    flush(s);
    if (!streams_.count(key)) return;  // closed: the client is gone
    if (!more || s.unsent() > 0) return;  // news, or EPOLLOUT, pumps again
  }
}

void ParkedStreams::flush(Stream& s) {
  const uint64_t key = s.key;
  while (s.unsent() > 0) {
    const ssize_t n = ::send(s.fd, s.out.data() + s.sent, s.unsent(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      s.sent += static_cast<std::size_t>(n);
      s.last_progress = Clock::now();
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
    close(key);  // the client is gone
    return;
  }
  if (s.unsent() == 0) {
    s.out.clear();
    s.sent = 0;
  }
  const bool want_output = s.unsent() > 0;
  if (want_output != s.want_output) {
    s.want_output = want_output;
    epoll_event interest{};
    interest.events = EPOLLIN | EPOLLRDHUP | (want_output ? EPOLLOUT : 0u);
    interest.data.u64 = key;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, s.fd, &interest);
  }
  if (s.ending && !want_output && !s.lingering) {
    // All sent: stop sending, and let the client close first, so nothing it
    // has not read is lost to a reset.
    ::shutdown(s.fd, SHUT_WR);
    s.lingering = true;
    s.linger_until = Clock::now() + kLinger;
  }
  rearm(s);
}

void ParkedStreams::onTimer(Stream& s, Clock::time_point now) {
  if (s.lingering) {
    if (now >= s.linger_until) close(s.key);
    else rearm(s);
    return;
  }
  if (s.unsent() > 0 && now - s.last_progress >= idle_timeout_) {
    close(s.key);  // the client stopped reading
    return;
  }
  if (!s.ending && now >= s.relay.letGoAt()) {
    std::string text;
    s.relay.letGo(text);
    appendChunk(s.out, text);
    s.out.append("0\r\n\r\n");
    s.ending = true;
    flush(s);
    return;
  }
  if (!s.ending && s.unsent() == 0 && now - s.last_write >= s.relay.settings().keep_alive_interval) {
    std::string text;
    s.relay.keepAlive(text);
    appendChunk(s.out, text);
    s.last_write = now;
    flush(s);
    return;
  }
  rearm(s);
}

void ParkedStreams::rearm(Stream& s) {
  Clock::time_point at;
  if (s.lingering) {
    at = s.linger_until;
  } else if (s.unsent() > 0) {
    at = s.last_progress + idle_timeout_;
  } else {
    at = std::min(s.last_write + s.relay.settings().keep_alive_interval, s.relay.letGoAt());
  }
  if (at == s.timer) return;
  if (s.timer != Clock::time_point::max()) timers_.erase({s.timer, s.key});
  s.timer = at;
  if (at != Clock::time_point::max()) timers_.emplace(at, s.key);
}

void ParkedStreams::close(uint64_t key) {
  auto it = streams_.find(key);
  if (it == streams_.end()) return;
  Stream& s = *it->second;
  if (s.timer != Clock::time_point::max()) timers_.erase({s.timer, key});
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, s.fd, nullptr);
  streams_.erase(it);  // closes the descriptor; the subscription stops waking us
  --size_;
}

}  // namespace mcpkeep::http
