// The column lists the store selects, and the readers that turn a row of
// them into a Session, Stream or Event. Keep each pair together.
#pragma once

#include <SQLiteCpp/Column.h>
#include <SQLiteCpp/Statement.h>

#include <mcpkeep/event.h>
#include <mcpkeep/session.h>
#include <mcpkeep/stream.h>

namespace mcpkeep::store {

extern const char* const kSessionColumns;
extern const char* const kStreamColumns;
extern const char* const kEventColumns;

Session readSession(const SQLite::Statement& row);
Stream readStream(const SQLite::Statement& row);
Event readEvent(const SQLite::Statement& row);

// The stored text of a stream state (streamStateName), back to the enum.
// Unknown text throws kInternal.
StreamState parseStreamState(const std::string& text);

}  // namespace mcpkeep::store
