// The one clock type of the public API. The database stores Unix milliseconds.
#pragma once

#include <chrono>
#include <functional>

namespace mcpkeep {

using TimePoint = std::chrono::system_clock::time_point;

// Returns the current time. Tests substitute one they control.
using Clock = std::function<TimePoint()>;

}  // namespace mcpkeep
