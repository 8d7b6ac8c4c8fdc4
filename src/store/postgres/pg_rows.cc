#include "store/postgres/pg_rows.h"

#include <mcpkeep/event_id.h>

#include "store/task_rows.h"
#include "store/unix_time.h"

namespace mcpkeep::store {

Session readSession(const PgResult& r, int row) {
  Session s;
  s.id = r.text(row, 0);
  s.created_at = fromUnixMillis(r.int64(row, 1));
  s.last_active = fromUnixMillis(r.int64(row, 2));
  s.initialized = r.boolean(row, 3);
  s.protocol_version = r.text(row, 4);
  s.client_capabilities = r.optionalText(row, 5);
  s.client_info = r.optionalText(row, 6);
  s.last_seq = r.int64(row, 7);
  return s;
}

Stream readStream(const PgResult& r, int row) {
  Stream s;
  s.id = r.int64(row, 0);
  s.session_id = r.text(row, 1);
  s.kind = r.text(row, 2) == "standalone" ? StreamKind::kStandalone : StreamKind::kRequest;
  s.request_ids = r.optionalText(row, 3);
  s.state = parseStreamState(r.text(row, 4));
  s.created_at = fromUnixMillis(r.int64(row, 5));
  if (!r.isNull(row, 6)) s.closed_at = fromUnixMillis(r.int64(row, 6));
  s.evicted_through = r.int64(row, 7);
  return s;
}

Event readEvent(const PgResult& r, int row) {
  Event e;
  e.session_id = r.text(row, 0);
  e.stream_id = r.int64(row, 1);
  e.seq = r.int64(row, 2);
  e.type = r.text(row, 3);
  e.data = r.text(row, 4);
  e.created_at = fromUnixMillis(r.int64(row, 5));
  e.id = EventId{e.stream_id, e.seq}.toString();
  return e;
}

Task readTask(const PgResult& r, int row) {
  Task t;
  t.id = r.text(row, 0);
  t.status = parseTaskStatus(r.text(row, 1));
  t.status_message = r.text(row, 2);
  t.created_at = fromUnixMillis(r.int64(row, 3));
  t.updated_at = fromUnixMillis(r.int64(row, 4));
  if (!r.isNull(row, 5)) t.ttl = std::chrono::milliseconds(r.int64(row, 5));
  t.poll_interval = std::chrono::milliseconds(r.int64(row, 6));
  t.request = r.text(row, 7);
  t.input_requests = r.text(row, 8);
  t.input_responses = r.text(row, 9);
  if (!r.isNull(row, 10)) t.result = r.text(row, 10);
  if (!r.isNull(row, 11)) t.error = r.text(row, 11);
  return t;
}

}  // namespace mcpkeep::store
