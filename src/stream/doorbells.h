// stream::Doorbells: how a publisher wakes the subscribers of a session. A
// bell carries no data, only "something changed, read the store again", so
// a missed or extra ring costs a query, never an event.
//
// Thread safety: all methods may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>

namespace mcpkeep::stream {

class Bell {
 public:
  // The count of rings so far; pass it to waitForRing.
  uint64_t rings() const;
  // Waits until the count differs from `seen`, the bells shut down, or `until`.
  void waitForRing(uint64_t seen, std::chrono::steady_clock::time_point until,
                   const std::atomic<bool>& shut_down);
  void ring();

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
};

class Doorbells {
 public:
  // The bell of a session, shared by its subscribers while any holds it.
  std::shared_ptr<Bell> bellFor(const std::string& session_id);
  void ring(const std::string& session_id);
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
  std::mutex mutex_;
  std::unordered_map<std::string, std::weak_ptr<Bell>> bells_;
  std::set<std::pair<std::string, int64_t>> disconnects_;
  std::atomic<std::size_t> disconnects_pending_{0};  // spares next() the mutex
  std::size_t sweep_at_ = 64;  // drop bells no one holds when the map reaches this
  std::atomic<bool> shut_down_{false};
};

}  // namespace mcpkeep::stream
