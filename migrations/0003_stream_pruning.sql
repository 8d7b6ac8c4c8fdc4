-- 0003: the maintenance job prunes closed request streams once their events
-- are gone (one row per request would otherwise pile up in a long-lived
-- session). Indexes for that, and for deleting a session's streams.

CREATE INDEX streams_by_session ON streams (session_id);

CREATE INDEX streams_closed_requests_by_closed_at ON streams (closed_at)
  WHERE kind = 'request' AND state != 'open';
