-- 0001: sessions, their SSE streams and the events sent on them, retention
-- settings, and views with ISO-8601 times for people using the sqlite3 CLI.
-- Times are integer Unix milliseconds. JSON columns hold JSON text.

-- Retention limits, read by the triggers below and by the maintenance job.
-- Edit with: UPDATE settings SET value = 500 WHERE name = 'max_events';
CREATE TABLE settings (
  name        TEXT PRIMARY KEY NOT NULL,
  value       INTEGER NOT NULL CHECK (value > 0),
  description TEXT NOT NULL
);

INSERT INTO settings (name, value, description) VALUES
  ('max_events', 1000,
   'Events kept per session; each insert deletes the oldest beyond this (trigger).'),
  ('max_age_ms', 300000,
   'Events older than this are deleted by the maintenance job.'),
  ('session_timeout_ms', 3600000,
   'Sessions idle longer than this are deleted by the maintenance job.');

CREATE TABLE sessions (
  -- 128 random bits as 32 lowercase hex digits (visible ASCII, as MCP requires).
  id                  TEXT PRIMARY KEY NOT NULL
                      CHECK (length(id) BETWEEN 1 AND 128 AND id NOT GLOB '*[^!-~]*'),
  created_at          INTEGER NOT NULL,
  last_active         INTEGER NOT NULL,
  initialized         INTEGER NOT NULL DEFAULT 0 CHECK (initialized IN (0, 1)),
  protocol_version    TEXT,
  client_capabilities TEXT CHECK (client_capabilities IS NULL OR json_valid(client_capabilities)),
  client_info         TEXT CHECK (client_info IS NULL OR json_valid(client_info)),
  -- Highest event seq ever given in this session; survives event deletion so
  -- that a seq, and so an event id, is never given twice.
  last_seq            INTEGER NOT NULL DEFAULT 0 CHECK (last_seq >= 0)
);

-- Serves the maintenance job's "sessions idle since before T".
CREATE INDEX sessions_by_last_active ON sessions (last_active);

CREATE TABLE streams (
  -- AUTOINCREMENT: a stream id is never reused, even after its session is
  -- deleted, and event ids embed it.
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  session_id      TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  -- 'standalone': the session's GET stream for server-initiated messages
  -- (one per session); 'request': the response stream of a POST.
  kind            TEXT NOT NULL CHECK (kind IN ('standalone', 'request')),
  -- JSON array of the JSON-RPC request ids this stream answers ('request' only).
  request_ids     TEXT CHECK (request_ids IS NULL
                              OR (json_valid(request_ids) AND json_type(request_ids) = 'array')),
  -- 'interrupted': was open when the process that wrote it died.
  state           TEXT NOT NULL DEFAULT 'open'
                  CHECK (state IN ('open', 'completed', 'interrupted')),
  created_at      INTEGER NOT NULL,
  closed_at       INTEGER,
  -- Highest seq of this stream's events that were deleted (retention, clear,
  -- or by hand); 0 if none. Resuming after a smaller seq has a gap.
  evicted_through INTEGER NOT NULL DEFAULT 0,
  UNIQUE (session_id, id)
);

-- Serves "the standalone stream of a session" (at most one).
CREATE UNIQUE INDEX streams_one_standalone_per_session
  ON streams (session_id) WHERE kind = 'standalone';

-- A plain rowid table: events are appended in rowid order, so inserts touch
-- the rightmost leaf; replay reads go through streams-after-seq below.
-- (A WITHOUT ROWID table keyed by session scatters concurrent inserts over
-- many pages; see DESIGN.md "rowid vs WITHOUT ROWID".)
CREATE TABLE events (
  id          INTEGER PRIMARY KEY,
  session_id  TEXT NOT NULL,
  stream_id   INTEGER NOT NULL,
  -- Position in the session: strictly increasing, never reused.
  seq         INTEGER NOT NULL CHECK (seq > 0),
  -- The SSE event type, e.g. 'message'.
  type        TEXT NOT NULL CHECK (length(type) > 0 AND type NOT GLOB '*[' || char(10, 13) || ']*'),
  -- json_valid costs ~0.4 us for a 250-byte event, ~20 us at 64 KB
  -- (measured 2026-11-24): small beside a commit, so bad JSON never lands.
  data        TEXT NOT NULL CHECK (json_valid(data)),
  created_at  INTEGER NOT NULL,
  FOREIGN KEY (session_id, stream_id) REFERENCES streams (session_id, id) ON DELETE CASCADE
);

-- Serves replay: "events of stream S after seq N, in order".
CREATE UNIQUE INDEX events_by_stream_seq ON events (stream_id, seq);
-- Serves count retention, "all events of a session in order", and seq uniqueness.
CREATE UNIQUE INDEX events_by_session_seq ON events (session_id, seq);
-- Serves the maintenance job's "events created before T".
CREATE INDEX events_by_created_at ON events (created_at);

-- Invariant: a session's event seqs strictly increase and are never reused,
-- also for rows inserted by hand.
CREATE TRIGGER events_seq_must_increase BEFORE INSERT ON events
WHEN NEW.seq <= (SELECT last_seq FROM sessions WHERE id = NEW.session_id)
BEGIN
  SELECT RAISE(ABORT, 'events.seq must be greater than sessions.last_seq');
END;

-- Invariant: events are only appended to open streams.
CREATE TRIGGER events_only_on_open_streams BEFORE INSERT ON events
WHEN (SELECT state FROM streams WHERE id = NEW.stream_id) IS NOT 'open'
BEGIN
  SELECT RAISE(ABORT, 'events can only be appended to an open stream');
END;

-- Invariant: sessions.last_seq is the highest seq ever inserted.
CREATE TRIGGER events_advance_last_seq AFTER INSERT ON events
BEGIN
  UPDATE sessions SET last_seq = NEW.seq WHERE id = NEW.session_id;
END;

-- Invariant: a session keeps at most settings.max_events events, the newest.
-- Seqs are contiguous per session, so the oldest ones are those at or below
-- NEW.seq - max_events (one index range, usually one row).
CREATE TRIGGER events_retain_max_per_session AFTER INSERT ON events
BEGIN
  DELETE FROM events
   WHERE session_id = NEW.session_id
     AND seq <= NEW.seq - (SELECT value FROM settings WHERE name = 'max_events');
END;

-- Invariant: streams.evicted_through records every deleted event, so a
-- resume across deleted events is reported as a gap, never silently.
CREATE TRIGGER events_record_eviction AFTER DELETE ON events
BEGIN
  UPDATE streams SET evicted_through = max(evicted_through, OLD.seq)
   WHERE id = OLD.stream_id;
END;

-- Invariant: deleting a session deletes its streams and events, also when
-- PRAGMA foreign_keys is off (the sqlite3 CLI's default).
CREATE TRIGGER sessions_delete_streams AFTER DELETE ON sessions
BEGIN
  DELETE FROM events WHERE session_id = OLD.id;
  DELETE FROM streams WHERE session_id = OLD.id;
END;

-- Invariant: deleting a stream deletes its events (same reason).
CREATE TRIGGER streams_delete_events AFTER DELETE ON streams
BEGIN
  DELETE FROM events WHERE stream_id = OLD.id;
END;

-- Views for people: ISO-8601 UTC times, event ids as clients see them.
CREATE VIEW sessions_v AS
SELECT id,
       strftime('%Y-%m-%dT%H:%M:%fZ', created_at / 1000.0, 'unixepoch') AS created,
       strftime('%Y-%m-%dT%H:%M:%fZ', last_active / 1000.0, 'unixepoch') AS last_active,
       initialized,
       protocol_version,
       json_extract(client_info, '$.name') AS client_name,
       json_extract(client_info, '$.version') AS client_version,
       client_capabilities,
       last_seq,
       (SELECT count(*) FROM events e WHERE e.session_id = s.id) AS events
  FROM sessions s;

CREATE VIEW streams_v AS
SELECT id,
       session_id,
       kind,
       request_ids,
       state,
       strftime('%Y-%m-%dT%H:%M:%fZ', created_at / 1000.0, 'unixepoch') AS created,
       strftime('%Y-%m-%dT%H:%M:%fZ', closed_at / 1000.0, 'unixepoch') AS closed,
       evicted_through,
       (SELECT count(*) FROM events e WHERE e.stream_id = st.id) AS events
  FROM streams st;

CREATE VIEW events_v AS
SELECT stream_id || '-' || seq AS event_id,
       session_id,
       stream_id,
       seq,
       type,
       strftime('%Y-%m-%dT%H:%M:%fZ', created_at / 1000.0, 'unixepoch') AS created,
       json_extract(data, '$.method') AS method,
       json_extract(data, '$.id') AS rpc_id,
       data
  FROM events;
