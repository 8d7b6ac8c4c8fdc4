// http::ParkedStreams: SSE responses that wait without a thread. A GET
// stream can stay open for hours with nothing to send; held by a thread
// each, thousands of them would cost thousands of threads and slow every
// other request. Parked, a stream is its socket (a descriptor of its own)
// and its Subscription: one event-loop thread (epoll) writes what the
// subscription delivers when the session's doorbell rings, without ever
// blocking on a client (writes are non-blocking; a stream takes no more from
// the store while its unsent output is over a bound, so a slow reader costs
// bounded memory and catches up from the store), sends keep-alives, lets go
// of clients as the relay says, and closes the connection when the client
// hangs up, stops reading for the idle timeout, or the stream ends.
//
// Responses are chunked and say Connection: close: a parked stream's
// connection ends with it.
//
// Thread safety: park() and size() may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <mcpkeep/hub.h>

#include "http/sse_relay.h"

namespace mcpkeep::http {

class ParkedStreams {
 public:
  // `idle_timeout`: a client that takes none of the output waiting for it
  // this long is cut off.
  explicit ParkedStreams(std::chrono::milliseconds idle_timeout);
  // Closes every stream still parked (see stop()).
  ~ParkedStreams();
  ParkedStreams(const ParkedStreams&) = delete;
  ParkedStreams& operator=(const ParkedStreams&) = delete;

  // Takes over a connection: `fd`, a descriptor of its own (closed here),
  // gets `head` (the response's status line and headers) and `body` (SSE
  // text already due, framed here as chunks), then what `subscription`
  // delivers through `relay`; `ended`: the response ends after `body`.
  // `hold` lives as long as the stream (its slot, its count in the metrics).
  void park(int fd, std::string head, std::string body, bool ended, Subscription subscription,
            SseRelay relay, std::shared_ptr<void> hold);

  // Streams parked now.
  std::size_t size() const { return size_.load(); }

  // Waits until every stream has ended (Hub::shutdown ends them with a
  // retry hint) or `until`, then closes what remains and stops the loop.
  void stop(std::chrono::steady_clock::time_point until);

 private:
  struct Stream;
  using Clock = std::chrono::steady_clock;

  void run();  // the loop thread
  void adopt(std::unique_ptr<Stream> stream);
  // Takes what the subscription has while the unsent output is small, then
  // writes.
  void pump(Stream& stream);
  // Writes what it can; ends the stream when its output is out and it is over.
  void flush(Stream& stream);
  void onTimer(Stream& stream, Clock::time_point now);
  // Sets the stream's one timer to its earliest deadline.
  void rearm(Stream& stream);
  void close(uint64_t key);
  // From a publishing thread, through the subscription's waker.
  void wake(uint64_t key);

  const std::chrono::milliseconds idle_timeout_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;  // an eventfd: park() and wake() interrupt epoll_wait

  std::mutex mutex_;  // guards the three below
  std::vector<std::unique_ptr<Stream>> incoming_;
  std::vector<uint64_t> ready_;
  bool stopping_ = false;
  Clock::time_point stop_by_;

  // The loop thread's own.
  std::unordered_map<uint64_t, std::unique_ptr<Stream>> streams_;
  std::set<std::pair<Clock::time_point, uint64_t>> timers_;

  std::atomic<uint64_t> next_key_{1};  // 0 is the eventfd's
  std::atomic<std::size_t> size_{0};
  std::thread loop_;
};

}  // namespace mcpkeep::http
