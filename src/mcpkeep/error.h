// mcpkeep::Error: the one exception type the library throws. Its code says
// what kind of problem it is (the HTTP layer maps codes to statuses in one
// place); its message names the file, session or event id and what to do.
#pragma once

#include <stdexcept>
#include <string>

namespace mcpkeep {

enum class ErrorCode {
  kNotFound,         // no such session or stream
  kInvalidArgument,  // bad input: invalid JSON, bad event type, ...
  kInvalidEventId,   // a Last-Event-ID that is malformed or not this session's
  kStreamClosed,     // append to a stream that is completed or interrupted
  kBusy,             // another connection held a lock beyond the busy timeout
  kReadOnly,         // the file or its directory cannot be written
  kCantOpen,         // the path cannot be opened (missing directory, not a file, ...)
  kNotADatabase,     // the file is not an SQLite database
  kCorrupt,          // the file failed its integrity check
  kNewerSchema,      // the file was written by a newer mcpkeep
  kIo,               // disk full or an I/O error
  kUnavailable,      // what answers (an upstream MCP server) cannot serve now; the message says why
  kInternal,         // anything else; the message has the detail
};

// Returns a short stable name for a code, e.g. "not_found".
const char* errorCodeName(ErrorCode code) noexcept;

// True for storage faults that may pass (a lock held too long, an I/O error
// or a full disk, a file made read-only): the same call may succeed later.
inline bool isTransient(ErrorCode code) noexcept {
  return code == ErrorCode::kBusy || code == ErrorCode::kIo || code == ErrorCode::kReadOnly;
}

// Thread safety: immutable after construction; safe to share.
class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message)
      : std::runtime_error(message), code_(code) {}

  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

}  // namespace mcpkeep
