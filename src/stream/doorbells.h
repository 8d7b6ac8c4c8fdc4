// stream::Doorbells: how a publisher wakes the subscribers of a session. A
// plain ring says "something changed, read the store again", so a missed or
// extra ring costs a query, never an event. A publish in this process rings
// with the event it committed: the bell keeps the session's latest such
// events in seq order, so a subscriber that has read the store up to a seq
// the kept ones continue without a hole takes what follows from memory.
//
// Thread safety: all methods may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <mcpkeep/event.h>
#include <mcpkeep/stream.h>

namespace mcpkeep::stream {

// An event committed by this process, as stored.
struct Published {
  Event event;
  std::optional<StreamState> closed;  // the commit also closed its stream
};

// What a subscriber takes from memory (Bell::recentAfter).
struct Recent {
  std::vector<Published> events;  // of the stream asked for, in order
  int64_t through_seq = 0;        // every event of the session up to here is known
  uint64_t rings = 0;             // the ring count this covers
};

class Bell {
 public:
  // The count of rings so far; pass it to waitForRing.
  uint64_t rings() const;
  // Waits until the count differs from `seen`, the bells shut down, or `until`.
  void waitForRing(uint64_t seen, std::chrono::steady_clock::time_point until,
                   const std::atomic<bool>& shut_down);
  void ring();
  // A ring for an event committed by this process.
  void ring(Published published);

  // The kept events of `stream` after `seq`, if the bell can vouch that
  // they are all the session's events after `seq`: no plain ring since the
  // subscriber's `rings_seen`, and the kept events reach back to seq + 1.
  std::optional<Recent> recentAfter(int64_t seq, StreamId stream, uint64_t rings_seen) const;

  // Calls `wake` at every ring from now on, until unlisten(the key it
  // returns). It runs on the ringing thread under the bell's lock: it must
  // be quick and must not call back into the bell.
  uint64_t listen(std::function<void()> wake);
  void unlisten(uint64_t key);

 private:
  mutable std::mutex mutex_;
  std::condition_variable rung_;
  uint64_t rings_ = 0;
  std::map<uint64_t, std::function<void()>> listeners_;
  uint64_t next_listener_ = 1;
  std::deque<Published> recent_;  // in seq order (with holes where others wrote)
  std::size_t recent_bytes_ = 0;
  uint64_t last_plain_ring_ = 0;  // rings_ at the last ring without an event

  void wakeLocked();  // counts the ring and calls the listeners; needs mutex_
};

class Doorbells {
 public:
  // The bell of a session, shared by its subscribers while any holds it.
  std::shared_ptr<Bell> bellFor(const std::string& session_id);
  void ring(const std::string& session_id);
  void ring(const std::string& session_id, Published published);
  void ringAll();

  // A request that the next subscriber of the stream to look lets go of it
  // (Hub::disconnect). It waits here until taken, so a subscriber that
  // arrives after the request still sees it; ending the stream drops it.
  void requestDisconnect(const std::string& session_id, int64_t stream);
  bool takeDisconnect(const std::string& session_id, int64_t stream);
  void forgetDisconnect(const std::string& session_id, int64_t stream);
  void forgetDisconnects(const std::string& session_id);

  // Rings every bell; from then on isShutDown() is true.
  void shutDown();
  bool isShutDown() const { return shut_down_.load(); }
  const std::atomic<bool>& shutDownFlag() const { return shut_down_; }

 private:
  // The session's bell if a subscriber holds one.
  std::shared_ptr<Bell> find(const std::string& session_id);

  std::mutex mutex_;
  std::unordered_map<std::string, std::weak_ptr<Bell>> bells_;
  std::set<std::pair<std::string, int64_t>> disconnects_;
  std::atomic<std::size_t> disconnects_pending_{0};  // spares next() the mutex
  std::size_t sweep_at_ = 64;  // drop bells no one holds when the map reaches this
  std::atomic<bool> shut_down_{false};
};

}  // namespace mcpkeep::stream
