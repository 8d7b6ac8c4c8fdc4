#include "store/sqlite/rows.h"

#include <mcpkeep/error.h>
#include <mcpkeep/event_id.h>

#include "store/unix_time.h"

namespace mcpkeep::store {
namespace {

std::optional<std::string> optionalText(const SQLite::Column& column) {
  if (column.isNull()) return std::nullopt;
  return column.getString();
}

}  // namespace

Session readSession(const SQLite::Statement& row) {
  Session s;
  s.id = row.getColumn(0).getString();
  s.created_at = fromUnixMillis(row.getColumn(1).getInt64());
  s.last_active = fromUnixMillis(row.getColumn(2).getInt64());
  s.initialized = row.getColumn(3).getInt() != 0;
  s.protocol_version = row.getColumn(4).getString();
  s.client_capabilities = optionalText(row.getColumn(5));
  s.client_info = optionalText(row.getColumn(6));
  s.last_seq = row.getColumn(7).getInt64();
  return s;
}

Stream readStream(const SQLite::Statement& row) {
  Stream s;
  s.id = row.getColumn(0).getInt64();
  s.session_id = row.getColumn(1).getString();
  s.kind = row.getColumn(2).getString() == "standalone" ? StreamKind::kStandalone
                                                        : StreamKind::kRequest;
  s.request_ids = optionalText(row.getColumn(3));
  s.state = parseStreamState(row.getColumn(4).getString());
  s.created_at = fromUnixMillis(row.getColumn(5).getInt64());
  if (!row.getColumn(6).isNull()) s.closed_at = fromUnixMillis(row.getColumn(6).getInt64());
  s.evicted_through = row.getColumn(7).getInt64();
  return s;
}

Event readEvent(const SQLite::Statement& row) {
  Event e;
  e.session_id = row.getColumn(0).getString();
  e.stream_id = row.getColumn(1).getInt64();
  e.seq = row.getColumn(2).getInt64();
  e.type = row.getColumn(3).getString();
  e.data = row.getColumn(4).getString();
  e.created_at = fromUnixMillis(row.getColumn(5).getInt64());
  e.id = EventId{e.stream_id, e.seq}.toString();
  return e;
}


}  // namespace mcpkeep::store
