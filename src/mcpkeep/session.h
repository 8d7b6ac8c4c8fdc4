// mcpkeep::Session: one MCP client session (Mcp-Session-Id), as stored.
// Thread safety: a plain value; copy it freely, guard shared mutation yourself.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <mcpkeep/time.h>

namespace mcpkeep {

// A copy of a session row; changing it changes nothing stored (see
// Store::updateSession).
struct Session {
  // 128 random bits as 32 lowercase hex digits.
  std::string id;
  TimePoint created_at;
  TimePoint last_active;
  bool initialized = false;
  // Negotiated MCP protocol version; empty until initialized.
  std::string protocol_version;
  // JSON text from the client's initialize request, when known.
  std::optional<std::string> client_capabilities;
  std::optional<std::string> client_info;
  // Highest event seq given in this session so far (0: none).
  int64_t last_seq = 0;

  // True when the session has been idle for at least `timeout` at `now`.
  bool isExpired(std::chrono::milliseconds timeout, TimePoint now) const {
    return now - last_active >= timeout;
  }
};

}  // namespace mcpkeep
