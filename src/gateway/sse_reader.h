// gateway::readSse: the Server-Sent Events a Streamable HTTP upstream sends,
// read from a stream as they come.
#pragma once

#include <functional>
#include <istream>
#include <string>

namespace mcpkeep::gateway {

struct SseMessage {
  std::string id;    // empty: none
  std::string data;  // its data lines joined by "\n"
};

// Reads events from `in` until it ends or `on_event` returns false. Events
// with no data (priming events, comments) are skipped, but their ids are
// reported through `on_id`.
void readSse(std::istream& in, const std::function<bool(const SseMessage&)>& on_event,
             const std::function<void(const std::string& id)>& on_id = nullptr);

}  // namespace mcpkeep::gateway
