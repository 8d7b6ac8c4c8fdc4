// The column lists both backends select (the same names in both schemas),
// in the order their row readers expect. Keep each with its readers
// (sqlite/rows.cc, postgres/pg_rows.cc).
#pragma once

#include <string>

#include <mcpkeep/stream.h>

namespace mcpkeep::store {

inline constexpr const char* kSessionColumns =
    "id, created_at, last_active, initialized, protocol_version, client_capabilities, "
    "client_info, last_seq";
inline constexpr const char* kStreamColumns =
    "id, session_id, kind, request_ids, state, created_at, closed_at, evicted_through";
inline constexpr const char* kEventColumns = "session_id, stream_id, seq, type, data, created_at";

// The stored text of a stream state (streamStateName), back to the enum.
// Unknown text throws kInternal.
StreamState parseStreamState(const std::string& text);

}  // namespace mcpkeep::store
