// Subscription: replay, then live, through one loop: read the store after
// the cursor; if nothing is new, wait for the session's doorbell (or the
// poll interval) and read again.
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

Subscription::Subscription(std::unique_ptr<State> state) : state_(std::move(state)) {}
Subscription::Subscription(Subscription&&) noexcept = default;
Subscription& Subscription::operator=(Subscription&&) noexcept = default;
Subscription::~Subscription() = default;

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
    // holds nothing new from this process. The count is noted before the
    // read, so a publish that lands after the read still wakes the wait.
    const uint64_t seen = s.bell->rings();
    if (s.rings_at_last_read != seen) {
      s.rings_at_last_read = seen;
      s.readStore();
      if (!s.read_ahead.empty() || s.gap_to_report || s.final) continue;
    }

    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return Delivery();  // kTimeout
    s.bell->waitForRing(seen, std::min(deadline, now + s.options.poll_interval),
                        s.doorbells->shutDownFlag());
    // No ring: read anyway, for writers the bell does not hear (another
    // process, the sqlite3 CLI).
    if (s.bell->rings() == seen) s.rings_at_last_read.reset();
  }
}

}  // namespace mcpkeep
