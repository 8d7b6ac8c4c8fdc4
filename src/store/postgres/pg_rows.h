// The readers that turn a row of the columns in store/columns.h (and
// store/task_rows.h) into a Session, Stream, Event or Task (PostgreSQL).
#pragma once

#include <mcpkeep/event.h>
#include <mcpkeep/session.h>
#include <mcpkeep/stream.h>
#include <mcpkeep/task.h>

#include "store/columns.h"
#include "store/postgres/pg_connection.h"

namespace mcpkeep::store {

Session readSession(const PgResult& rows, int row);
Stream readStream(const PgResult& rows, int row);
Event readEvent(const PgResult& rows, int row);
Task readTask(const PgResult& rows, int row);

}  // namespace mcpkeep::store
