#include "gateway/sse_reader.h"

namespace mcpkeep::gateway {

void readSse(std::istream& in, const std::function<bool(const SseMessage&)>& on_event,
             const std::function<void(const std::string& id)>& on_id) {
  SseMessage event;
  bool has_data = false;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) {  // the end of an event
      if (!event.id.empty() && on_id) on_id(event.id);
      if (has_data && !event.data.empty() && !on_event(event)) return;
      event = SseMessage();
      has_data = false;
      continue;
    }
    if (line[0] == ':') continue;  // a comment
    const auto colon = line.find(':');
    const std::string field = line.substr(0, colon);
    std::string value = colon == std::string::npos ? std::string() : line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    if (field == "data") {
      if (has_data) event.data += '\n';
      event.data += value;
      has_data = true;
    } else if (field == "id") {
      event.id = value;
    }
  }
}

}  // namespace mcpkeep::gateway
