// Server-Sent Events framing. Data is split into one `data:` line per line,
// so a CR or LF in it can never end an event early; ids and event types
// never contain CR or LF (the store guarantees it for what it holds).
// Each function appends to `out`.
#pragma once

#include <chrono>
#include <string>

namespace mcpkeep::http {

// One event: `id:` (if not empty), `event:` (if not empty or "message", the
// SSE default), and `data:` lines. Throws std::invalid_argument, appending
// nothing, when the id or type holds a CR or LF (which would end the field
// early).
void appendSseEvent(std::string& out, const std::string& id, const std::string& type,
                    const std::string& data);

void appendSseRetry(std::string& out, std::chrono::milliseconds retry);

// The priming event that opens a stream: an id to resume from, the retry
// hint, and empty data (which clients do not dispatch).
void appendSsePriming(std::string& out, const std::string& id, std::chrono::milliseconds retry);

// A comment line, ignored by clients; keeps idle connections alive.
void appendSseComment(std::string& out, const std::string& text);

}  // namespace mcpkeep::http
