#include "http/sse.h"

#include <stdexcept>

namespace mcpkeep::http {

void writeSseEvent(std::ostream& out, const std::string& id, const std::string& type,
                   const std::string& data) {
  if (id.find_first_of("\r\n") != std::string::npos || type.find_first_of("\r\n") != std::string::npos) {
    throw std::invalid_argument("an SSE id or event type cannot hold a line break");
  }
  if (!id.empty()) out << "id: " << id << "\n";
  if (!type.empty() && type != "message") out << "event: " << type << "\n";
  // CRLF, CR and LF all end a line in SSE: each piece gets its own data line.
  std::size_t start = 0;
  for (;;) {
    const auto end = data.find_first_of("\r\n", start);
    out << "data: " << data.substr(start, end == std::string::npos ? std::string::npos : end - start)
        << "\n";
    if (end == std::string::npos) break;
    start = end + ((data[end] == '\r' && end + 1 < data.size() && data[end + 1] == '\n') ? 2 : 1);
  }
  out << "\n";
}

void writeSseRetry(std::ostream& out, std::chrono::milliseconds retry) {
  out << "retry: " << retry.count() << "\n\n";
}

void writeSsePriming(std::ostream& out, const std::string& id, std::chrono::milliseconds retry) {
  out << "id: " << id << "\nretry: " << retry.count() << "\ndata: \n\n";
}

void writeSseComment(std::ostream& out, const std::string& text) { out << ": " << text << "\n\n"; }

}  // namespace mcpkeep::http
