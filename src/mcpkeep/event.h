// mcpkeep::Event and mcpkeep::Replay: stored events and the answer to
// "what comes after this Last-Event-ID".
// Thread safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <mcpkeep/stream.h>
#include <mcpkeep/time.h>

namespace mcpkeep {

struct Event {
  // The SSE id, "<stream>-<seq>" (see EventId).
  std::string id;
  std::string session_id;
  StreamId stream_id = 0;
  // Position in the session: strictly increasing, never reused.
  int64_t seq = 0;
  // The SSE event type, e.g. "message".
  std::string type;
  // JSON text.
  std::string data;
  TimePoint created_at;
};

// Events of one stream after an event id. Three outcomes:
// - the events after the id were all retained: `events`, gap == false;
// - some were deleted by retention: what remains in `events`, gap == true;
// - the id is malformed or not of this session: Store throws
//   Error(kInvalidEventId) instead, and returns no data.
struct Replay {
  // The stream the id named; its state says whether more events may come.
  Stream stream;
  std::vector<Event> events;
  // True when events of this stream after the id were deleted (retention,
  // clearEvents or by hand) and so cannot be replayed.
  bool gap = false;
  // The session's last seq when this was read: every event of the stream
  // up to it is in `events` unless the limit cut them short.
  int64_t session_last_seq = 0;
};

}  // namespace mcpkeep
