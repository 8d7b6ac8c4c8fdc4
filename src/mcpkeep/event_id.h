// mcpkeep::EventId: the SSE event id a client sees, "<stream>-<seq>". It names
// the stream and the position, so Last-Event-ID alone says which stream to
// resume. Stream ids and seqs are never reused, so neither is an event id.
// "<stream>-0" names the start of a stream (the priming event's id).
// Thread safety: a plain value; parse() and require() are pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <mcpkeep/stream.h>

namespace mcpkeep {

struct EventId {
  StreamId stream = 0;
  int64_t seq = 0;

  // Parses the canonical form only: decimal digits without leading zeros,
  // stream >= 1, seq >= 0, both within int64. Anything else: nullopt.
  static std::optional<EventId> parse(std::string_view text);

  // Like parse(), but throws Error(kInvalidEventId) naming the problem.
  static EventId require(std::string_view text);

  std::string toString() const;

  bool operator==(const EventId& o) const { return stream == o.stream && seq == o.seq; }
  bool operator!=(const EventId& o) const { return !(*this == o); }
};

}  // namespace mcpkeep
