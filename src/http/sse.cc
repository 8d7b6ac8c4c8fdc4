#include "http/sse.h"

#include <stdexcept>

namespace mcpkeep::http {

void appendSseEvent(std::string& out, const std::string& id, const std::string& type,
                    const std::string& data) {
  if (id.find_first_of("\r\n") != std::string::npos || type.find_first_of("\r\n") != std::string::npos) {
    throw std::invalid_argument("an SSE id or event type cannot hold a line break");
  }
  if (!id.empty()) out.append("id: ").append(id).append("\n");
  if (!type.empty() && type != "message") out.append("event: ").append(type).append("\n");
  // CRLF, CR and LF all end a line in SSE: each piece gets its own data line.
  std::size_t start = 0;
  for (;;) {
    const auto end = data.find_first_of("\r\n", start);
    out.append("data: ");
    out.append(data, start, end == std::string::npos ? std::string::npos : end - start);
    out.append("\n");
    if (end == std::string::npos) break;
    start = end + ((data[end] == '\r' && end + 1 < data.size() && data[end + 1] == '\n') ? 2 : 1);
  }
  out.append("\n");
}

void appendSseRetry(std::string& out, std::chrono::milliseconds retry) {
  out.append("retry: ").append(std::to_string(retry.count())).append("\n\n");
}

void appendSsePriming(std::string& out, const std::string& id, std::chrono::milliseconds retry) {
  out.append("id: ").append(id).append("\nretry: ").append(std::to_string(retry.count())).append("\ndata: \n\n");
}

void appendSseComment(std::string& out, const std::string& text) { out.append(": ").append(text).append("\n\n"); }

}  // namespace mcpkeep::http
