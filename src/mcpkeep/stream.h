// mcpkeep::Stream: one SSE stream of a session: the standalone GET stream, or
// the response stream of a POST.
// Thread safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <mcpkeep/time.h>

namespace mcpkeep {

using StreamId = int64_t;

enum class StreamKind {
  kStandalone,  // the session's stream for server-initiated messages (one per session)
  kRequest,     // the response stream of one POST
};

enum class StreamState {
  kOpen,
  kCompleted,    // closed by the server: every event it will have is stored
  kInterrupted,  // was open when the process that wrote it died
};

const char* streamKindName(StreamKind kind) noexcept;
const char* streamStateName(StreamState state) noexcept;

struct Stream {
  StreamId id = 0;
  std::string session_id;
  StreamKind kind = StreamKind::kRequest;
  // JSON array of the JSON-RPC request ids this stream answers (kRequest).
  std::optional<std::string> request_ids;
  StreamState state = StreamState::kOpen;
  TimePoint created_at;
  std::optional<TimePoint> closed_at;
  // Highest seq of this stream's events that were deleted (0: none).
  int64_t evicted_through = 0;
};

}  // namespace mcpkeep
