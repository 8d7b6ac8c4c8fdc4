// libFuzzer target: SSE framing. Whatever the data holds, an event parsed
// back by the SSE rules has the same id and type, and the data with each
// line ending (CRLF, CR, LF) as LF; ids or types with a line break are
// refused before anything is written.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>

#include "http/sse.h"

namespace {

struct Parsed {
  std::string id, type, data;
  int events = 0;
};

// The SSE parsing rules (HTML Living Standard, "event stream
// interpretation"), enough for one event.
Parsed parse(const std::string& stream) {
  Parsed p;
  std::string data;
  std::size_t at = 0;
  while (at < stream.size()) {
    std::size_t end = stream.find_first_of("\r\n", at);
    if (end == std::string::npos) end = stream.size();
    const std::string line = stream.substr(at, end - at);
    at = end + ((end + 1 < stream.size() && stream[end] == '\r' && stream[end + 1] == '\n') ? 2 : 1);
    if (line.empty()) {
      if (!data.empty() && data.back() == '\n') data.pop_back();
      p.data = data;
      ++p.events;
      data.clear();
      continue;
    }
    if (line[0] == ':') continue;
    const std::size_t colon = line.find(':');
    const std::string field = line.substr(0, colon);
    std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    if (field == "id") p.id = value;
    if (field == "event") p.type = value;
    if (field == "data") data += value + "\n";
  }
  return p;
}

std::string normalised(const std::string& data) {
  std::string out;
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (data[i] == '\r') {
      out += '\n';
      if (i + 1 < data.size() && data[i + 1] == '\n') ++i;
    } else {
      out += data[i];
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  if (size < 2) return 0;
  // The first two bytes say how much of the rest is the id and the type.
  const std::string rest(reinterpret_cast<const char*>(bytes) + 2, size - 2);
  const std::size_t id_size = std::min<std::size_t>(bytes[0] % 32, rest.size());
  const std::size_t type_size = std::min<std::size_t>(bytes[1] % 16, rest.size() - id_size);
  const std::string id = rest.substr(0, id_size);
  const std::string type = rest.substr(id_size, type_size);
  const std::string data = rest.substr(id_size + type_size);
  const bool breaks = id.find_first_of("\r\n") != std::string::npos || type.find_first_of("\r\n") != std::string::npos;
  std::string out;
  try {
    mcpkeep::http::appendSseEvent(out, id, type, data);
  } catch (const std::invalid_argument&) {
    if (!breaks || !out.empty()) __builtin_trap();
    return 0;
  }
  if (breaks) __builtin_trap();
  const Parsed p = parse(out);
  if (p.events != 1 || p.id != id) __builtin_trap();
  if (p.type != (type.empty() ? "" : type == "message" ? "" : type)) __builtin_trap();
  if (p.data != normalised(data)) __builtin_trap();
  return 0;
}
