// mcpkeep::logToStderr: the library's log lines (the loggers under
// "mcpkeep": listening, sessions started and deleted, requests answered as
// interrupted after a crash, refused requests, storage errors, ...) on
// stderr, in the format of `mcpkeep serve`. Without it the library logs
// nothing (Poco's loggers start with no channel); a program may instead
// attach a Poco channel of its own to the "mcpkeep" logger.
#pragma once

#include <string>

namespace mcpkeep {

// `level`: "error", "warning", "notice", "info" or "debug" (one line per
// request); `json`: JSON lines instead of key=value text. Call once, at
// start. Throws std::invalid_argument for an unknown level.
void logToStderr(const std::string& level = "info", bool json = false);

}  // namespace mcpkeep
