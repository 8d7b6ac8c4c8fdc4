// Conversions between the API's TimePoint and the integer Unix milliseconds
// the database stores.
#pragma once

#include <chrono>
#include <cstdint>

#include <mcpkeep/time.h>

namespace mcpkeep::store {

inline int64_t toUnixMillis(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

inline TimePoint fromUnixMillis(int64_t ms) {
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::milliseconds(ms)));
}

}  // namespace mcpkeep::store
