#include "stream/doorbells.h"

#include <algorithm>
#include <vector>

namespace mcpkeep::stream {

uint64_t Bell::rings() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return rings_;
}

void Bell::waitForRing(uint64_t seen, std::chrono::steady_clock::time_point until,
                       const std::atomic<bool>& shut_down) {
  std::unique_lock<std::mutex> lock(mutex_);
  rung_.wait_until(lock, until, [&] { return rings_ != seen || shut_down.load(); });
}

namespace {
// What a bell keeps of its latest events: enough for bursts (a tool's
// progress and its answer), little beside a session.
constexpr std::size_t kKeepEvents = 64;
constexpr std::size_t kKeepBytes = 256 * 1024;
}  // namespace

void Bell::wakeLocked() {
  ++rings_;
  for (auto& listener : listeners_) listener.second();
}

void Bell::ring() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    wakeLocked();
    last_plain_ring_ = rings_;
  }
  rung_.notify_all();
}

void Bell::ring(Published published) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // In seq order: two publishers may ring in the other order than they
    // committed.
    auto at = recent_.end();
    while (at != recent_.begin() && std::prev(at)->event.seq > published.event.seq) --at;
    recent_bytes_ += published.event.data.size();
    recent_.insert(at, std::move(published));
    while (recent_.size() > 1 && (recent_.size() > kKeepEvents || recent_bytes_ > kKeepBytes)) {
      recent_bytes_ -= recent_.front().event.data.size();
      recent_.pop_front();
    }
    wakeLocked();
  }
  rung_.notify_all();
}

std::optional<Recent> Bell::recentAfter(int64_t seq, StreamId stream, uint64_t rings_seen) const {
  std::lock_guard<std::mutex> lock(mutex_);
  // Since the last plain ring every ring brought its event here; so if the
  // kept events run on from seq + 1 without a hole, they are all there is.
  // (A hole: another process wrote that seq, or its publisher has not rung
  // yet; kept events dropped: the front is past seq + 1.)
  if (last_plain_ring_ > rings_seen || recent_.empty()) return std::nullopt;
  int64_t expected = seq + 1;
  if (recent_.front().event.seq > expected) return std::nullopt;
  Recent recent;
  for (const Published& p : recent_) {
    if (p.event.seq < expected) continue;
    if (p.event.seq != expected) return std::nullopt;
    ++expected;
    if (p.event.stream_id == stream) recent.events.push_back(p);
  }
  recent.through_seq = expected - 1;
  recent.rings = rings_;
  return recent;
}

uint64_t Bell::listen(std::function<void()> wake) {
  std::lock_guard<std::mutex> lock(mutex_);
  const uint64_t key = next_listener_++;
  listeners_.emplace(key, std::move(wake));
  return key;
}

void Bell::unlisten(uint64_t key) {
  std::lock_guard<std::mutex> lock(mutex_);
  listeners_.erase(key);
}

std::shared_ptr<Bell> Doorbells::bellFor(const std::string& session_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto bell = bells_[session_id].lock()) return bell;
  auto bell = std::make_shared<Bell>();
  bells_[session_id] = bell;
  if (bells_.size() >= sweep_at_) {
    for (auto it = bells_.begin(); it != bells_.end();) {
      it = it->second.expired() ? bells_.erase(it) : std::next(it);
    }
    sweep_at_ = 2 * bells_.size() + 64;
  }
  return bell;
}

std::shared_ptr<Bell> Doorbells::find(const std::string& session_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = bells_.find(session_id);
  return it == bells_.end() ? nullptr : it->second.lock();
}

void Doorbells::ring(const std::string& session_id) {
  if (auto bell = find(session_id)) bell->ring();
}

void Doorbells::ring(const std::string& session_id, Published published) {
  if (auto bell = find(session_id)) bell->ring(std::move(published));
}

void Doorbells::ringAll() {
  std::vector<std::shared_ptr<Bell>> all;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& entry : bells_) {
      if (auto bell = entry.second.lock()) all.push_back(std::move(bell));
    }
  }
  for (auto& bell : all) bell->ring();
}

void Doorbells::requestDisconnect(const std::string& session_id, int64_t stream) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    disconnects_.emplace(session_id, stream);
    disconnects_pending_.store(disconnects_.size());
  }
  ring(session_id);
}

bool Doorbells::takeDisconnect(const std::string& session_id, int64_t stream) {
  if (disconnects_pending_.load() == 0) return false;
  std::lock_guard<std::mutex> lock(mutex_);
  const bool taken = disconnects_.erase({session_id, stream}) > 0;
  disconnects_pending_.store(disconnects_.size());
  return taken;
}

void Doorbells::forgetDisconnect(const std::string& session_id, int64_t stream) {
  takeDisconnect(session_id, stream);
}

void Doorbells::forgetDisconnects(const std::string& session_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = disconnects_.lower_bound({session_id, INT64_MIN});
  while (it != disconnects_.end() && it->first == session_id) it = disconnects_.erase(it);
  disconnects_pending_.store(disconnects_.size());
}

void Doorbells::shutDown() {
  shut_down_.store(true);
  ringAll();
}

}  // namespace mcpkeep::stream
