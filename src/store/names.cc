// Names of the public enums: errorCodeName, streamKindName, streamStateName,
// taskStatusName.
// Stream names are also the values stored in the streams table.
#include <mcpkeep/error.h>
#include <mcpkeep/stream.h>
#include <mcpkeep/task.h>

#include "store/columns.h"

namespace mcpkeep {

const char* errorCodeName(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kInvalidArgument: return "invalid_argument";
    case ErrorCode::kInvalidEventId: return "invalid_event_id";
    case ErrorCode::kStreamClosed: return "stream_closed";
    case ErrorCode::kBusy: return "busy";
    case ErrorCode::kReadOnly: return "read_only";
    case ErrorCode::kCantOpen: return "cant_open";
    case ErrorCode::kNotADatabase: return "not_a_database";
    case ErrorCode::kCorrupt: return "corrupt";
    case ErrorCode::kNewerSchema: return "newer_schema";
    case ErrorCode::kIo: return "io";
    case ErrorCode::kUnavailable: return "unavailable";
    case ErrorCode::kInternal: return "internal";
  }
  return "internal";
}

const char* streamKindName(StreamKind kind) noexcept {
  return kind == StreamKind::kStandalone ? "standalone" : "request";
}

const char* streamStateName(StreamState state) noexcept {
  switch (state) {
    case StreamState::kOpen: return "open";
    case StreamState::kCompleted: return "completed";
    case StreamState::kInterrupted: return "interrupted";
  }
  return "open";
}

const char* taskStatusName(TaskStatus status) {
  switch (status) {
    case TaskStatus::kWorking:
      return "working";
    case TaskStatus::kInputRequired:
      return "input_required";
    case TaskStatus::kCompleted:
      return "completed";
    case TaskStatus::kFailed:
      return "failed";
    case TaskStatus::kCancelled:
      return "cancelled";
  }
  return "working";
}

namespace store {

StreamState parseStreamState(const std::string& text) {
  if (text == "open") return StreamState::kOpen;
  if (text == "completed") return StreamState::kCompleted;
  if (text == "interrupted") return StreamState::kInterrupted;
  throw Error(ErrorCode::kInternal, "unknown stream state '" + text + "' in the database");
}

}  // namespace store
}  // namespace mcpkeep
