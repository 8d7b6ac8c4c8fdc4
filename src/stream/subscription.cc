// Subscription: replay, then live, through one loop: read the store after
// the cursor; if nothing is new, wait for the session's doorbell and read
// again.
#include "stream/subscription_state.h"

namespace mcpkeep {

void Subscription::State::absorb(Replay replay) {
  const int64_t evicted = replay.stream.evicted_through;
  if (evicted > cursor.seq && evicted > gap_reported_through) {
    gap_reported_through = evicted;
    gap_to_report = true;
  }
  // Fewer than a batch: these are all the stream has (one snapshot), so a
  // closed stream ends after them without another read.
  const bool read_all = replay.events.size() < options.read_batch;
  more_stored = !read_all;
  seen_through = read_all ? replay.session_last_seq : replay.events.back().seq;
  for (Event& e : replay.events) read_ahead.push_back(std::move(e));
  if (read_all && replay.stream.state != StreamState::kOpen) {
    Delivery ended;
    ended.kind = Delivery::Kind::kStreamEnded;
    ended.stream_state = replay.stream.state;
    final = ended;
  }
}

void Subscription::State::readStore() {
  try {
    absorb(store->eventsAfter(session_id, cursor, options.read_batch));
  } catch (const Error& e) {
    // After a successful subscribe, these mean the session (kNotFound) or
    // the stream (kInvalidEventId: deleted by hand) is gone.
    if (e.code() != ErrorCode::kNotFound && e.code() != ErrorCode::kInvalidEventId) throw;
    Delivery ended;
    ended.kind = Delivery::Kind::kStreamEnded;
    ended.stream_state = StreamState::kCompleted;
    ended.session_gone = true;
    final = ended;
  }
}

bool Subscription::State::takeFromMemory() {
  if (!rings_at_last_read || more_stored) return false;
  std::optional<stream::Recent> recent = bell->recentAfter(seen_through, cursor.stream, *rings_at_last_read);
  if (!recent) return false;
  rings_at_last_read = recent->rings;
  seen_through = recent->through_seq;
  for (stream::Published& p : recent->events) {
    read_ahead.push_back(std::move(p.event));
    if (p.closed) {
      Delivery ended;
      ended.kind = Delivery::Kind::kStreamEnded;
      ended.stream_state = *p.closed;
      final = ended;
    }
  }
  return true;
}

Subscription::Subscription(std::unique_ptr<State> state) : state_(std::move(state)) {}
Subscription::Subscription(Subscription&&) noexcept = default;
Subscription& Subscription::operator=(Subscription&&) noexcept = default;
Subscription::~Subscription() = default;

void Subscription::setWaker(std::function<void()> wake) {
  State& s = *state_;
  if (s.waker) s.bell->unlisten(*s.waker);
  s.waker.reset();
  if (wake) s.waker = s.bell->listen(std::move(wake));
}

StreamId Subscription::streamId() const { return state_->cursor.stream; }

std::string Subscription::lastEventId() const { return state_->cursor.toString(); }

Delivery Subscription::next(std::chrono::milliseconds wait) {
  State& s = *state_;
  const auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    if (s.doorbells->isShutDown()) {
      Delivery shutdown;
      shutdown.kind = Delivery::Kind::kShutdown;
      return shutdown;
    }
    if (s.gap_to_report) {
      s.gap_to_report = false;
      Delivery gap;
      gap.kind = Delivery::Kind::kGap;
      return gap;
    }
    if (!s.read_ahead.empty()) {
      Delivery delivery;
      delivery.kind = Delivery::Kind::kEvent;
      delivery.event = std::move(s.read_ahead.front());
      s.read_ahead.pop_front();
      s.cursor.seq = delivery.event.seq;
      return delivery;
    }
    if (s.final) return *s.final;
    if (s.doorbells->takeDisconnect(s.session_id, s.cursor.stream)) {
      Delivery disconnect;
      disconnect.kind = Delivery::Kind::kDisconnect;
      return disconnect;
    }

    // Read unless the bell is as it was at the last read: then the store
    // holds nothing new (the hub's watcher rings for other processes'
    // writes too). The count is noted before the
    // read, so a publish that lands after the read still wakes the wait.
    const uint64_t seen = s.bell->rings();
    if (s.rings_at_last_read != seen || s.more_stored) {
      // What this process published comes from memory when the bell can
      // vouch for it; the store is read otherwise (other processes' writes,
      // a resume, a subscriber that fell behind).
      if (!s.takeFromMemory()) {
        s.rings_at_last_read = seen;
        s.readStore();
      }
      if (!s.read_ahead.empty() || s.gap_to_report || s.final) continue;
    }

    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return Delivery();  // kTimeout
    // Other processes' writes ring too: the hub's watcher hears them.
    s.bell->waitForRing(seen, deadline, s.doorbells->shutDownFlag());
  }
}

}  // namespace mcpkeep
