// The readers that turn a row of the columns in store/columns.h into a
// Session, Stream or Event (SQLite).
#pragma once

#include <SQLiteCpp/Column.h>
#include <SQLiteCpp/Statement.h>

#include <mcpkeep/event.h>
#include <mcpkeep/session.h>
#include <mcpkeep/stream.h>

#include "store/columns.h"

namespace mcpkeep::store {

Session readSession(const SQLite::Statement& row);
Stream readStream(const SQLite::Statement& row);
Event readEvent(const SQLite::Statement& row);

}  // namespace mcpkeep::store
