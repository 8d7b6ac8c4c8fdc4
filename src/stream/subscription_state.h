// Subscription::State: a subscriber's cursor and what it has read ahead.
// Shared by hub.cc (which makes it) and subscription.cc (which reads it).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include <mcpkeep/hub.h>

#include "stream/doorbells.h"

namespace mcpkeep {

struct Subscription::State {
  ~State() {
    if (waker) bell->unlisten(*waker);
  }

  Store* store = nullptr;
  HubOptions options;
  std::string session_id;
  std::shared_ptr<stream::Doorbells> doorbells;
  std::shared_ptr<stream::Bell> bell;

  EventId cursor;                   // the last event delivered
  std::deque<Event> read_ahead;     // read from the store, not yet delivered
  bool gap_to_report = false;       // deliver kGap before read_ahead
  int64_t gap_reported_through = 0; // evicted_through already reported
  std::optional<Delivery> final;    // kStreamEnded, once reached
  std::optional<uint64_t> rings_at_last_read;  // the bell's count when last read
  bool more_stored = false;  // the last read filled a batch: read again, rung or not
  int64_t seen_through = 0;  // every event of the stream up to this seq is read
  std::optional<uint64_t> waker;               // the bell's key of setWaker's function

  // Takes in what the store returned after `cursor`.
  void absorb(Replay replay);
  // Reads what the store has after `cursor`.
  void readStore();
  // Takes what this process published after seen_through from the bell,
  // if it can vouch for it (Bell::recentAfter); false: read the store.
  bool takeFromMemory();
};

}  // namespace mcpkeep
