#include "http/stream_slots.h"

#include "http/http_error.h"

namespace mcpkeep::http {

StreamSlots::Slot StreamSlots::take(const std::string& session_id) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    int& open = open_[session_id];
    if (open >= per_session_) {
      throw HttpError(429, kServerError,
                      "this session has " + std::to_string(open) +
                          " streams open, the most allowed; close one or retry later");
    }
    ++open;
  }
  return Slot(*this, session_id);
}

void StreamSlots::release(const std::string& session_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = open_.find(session_id);
  if (it != open_.end() && --it->second == 0) open_.erase(it);
}

}  // namespace mcpkeep::http
