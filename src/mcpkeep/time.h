// The one clock type of the public API. The database stores Unix milliseconds.
// A Clock given to a Store is called from any of the Store's threads.
#pragma once

#include <chrono>
#include <functional>

namespace mcpkeep {

using TimePoint = std::chrono::system_clock::time_point;

// Returns the current time. Tests substitute one they control.
using Clock = std::function<TimePoint()>;

}  // namespace mcpkeep
