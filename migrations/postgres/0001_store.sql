-- 0001: the whole store as SQLite's migrations 0001-0008 leave it, for
-- PostgreSQL: sessions, their SSE streams and the events sent on them,
-- retention settings, resource subscriptions, the gateway's upstream state,
-- the requestState key, tasks, and views with ISO-8601 times for people
-- using psql. Times are bigint Unix milliseconds. JSON columns are of type
-- json, which checks the text and keeps it byte for byte (jsonb would
-- reorder it); use ->> to read them. The invariants SQLite's triggers keep
-- (store/backend.h) are kept here by the triggers below, so they hold for
-- rows written with psql too.

-- Retention limits, read by the triggers below and by the maintenance job.
-- Edit with: UPDATE settings SET value = 500 WHERE name = 'max_events';
CREATE TABLE settings (
  name        text PRIMARY KEY,
  value       bigint NOT NULL CHECK (value > 0),
  description text NOT NULL
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
  id                  text PRIMARY KEY CHECK (id ~ '^[!-~]{1,128}$'),
  created_at          bigint NOT NULL,
  last_active         bigint NOT NULL,
  initialized         boolean NOT NULL DEFAULT false,
  protocol_version    text,
  client_capabilities json,
  client_info         json,
  -- Highest event seq ever given in this session; survives event deletion so
  -- that a seq, and so an event id, is never given twice. Its row lock is
  -- what orders appends to one session from several replicas.
  last_seq            bigint NOT NULL DEFAULT 0 CHECK (last_seq >= 0)
);

CREATE INDEX sessions_by_last_active ON sessions (last_active);

CREATE TABLE streams (
  -- A sequence: a stream id is never reused, and event ids embed it.
  id              bigserial PRIMARY KEY,
  session_id      text NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  -- 'standalone': the session's GET stream for server-initiated messages
  -- (one per session); 'request': the response stream of a POST.
  kind            text NOT NULL CHECK (kind IN ('standalone', 'request')),
  -- JSON array of the JSON-RPC request ids this stream answers ('request' only).
  request_ids     json CHECK (request_ids IS NULL OR json_typeof(request_ids) = 'array'),
  -- 'interrupted': was open when the process that wrote it died.
  state           text NOT NULL DEFAULT 'open'
                  CHECK (state IN ('open', 'completed', 'interrupted')),
  created_at      bigint NOT NULL,
  closed_at       bigint,
  -- Highest seq of this stream's events that were deleted (retention, clear,
  -- or by hand); 0 if none. Resuming after a smaller seq has a gap.
  evicted_through bigint NOT NULL DEFAULT 0,
  UNIQUE (session_id, id)
);

CREATE UNIQUE INDEX streams_one_standalone_per_session ON streams (session_id)
  WHERE kind = 'standalone';
CREATE INDEX streams_closed_requests_by_closed_at ON streams (closed_at)
  WHERE kind = 'request' AND state <> 'open';
CREATE INDEX streams_open_requests ON streams (id) WHERE kind = 'request' AND state = 'open';

CREATE TABLE events (
  id          bigserial PRIMARY KEY,
  session_id  text NOT NULL,
  stream_id   bigint NOT NULL,
  -- Position in the session: strictly increasing, never reused. Given by
  -- the insert trigger when left out.
  seq         bigint NOT NULL CHECK (seq > 0),
  -- The SSE event type, e.g. 'message'.
  type        text NOT NULL CHECK (length(type) > 0 AND type !~ '[\r\n]'),
  data        json NOT NULL,
  created_at  bigint NOT NULL,
  FOREIGN KEY (session_id, stream_id) REFERENCES streams (session_id, id) ON DELETE CASCADE
);

CREATE UNIQUE INDEX events_by_stream_seq ON events (stream_id, seq);
CREATE UNIQUE INDEX events_by_session_seq ON events (session_id, seq);
CREATE INDEX events_by_created_at ON events (created_at);

-- Invariants: an event goes to an open stream of its own session, and gets
-- the session's next seq (or, given one, only a seq past last_seq). The
-- session row is locked first (as a session's deletion does), then the
-- stream row is read FOR SHARE, so a concurrent close is waited for and seen.
-- SQLSTATEs MKNSE, MKNST, MKCLS, MKSEQ let the store name the problem.
CREATE FUNCTION events_before_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  stream_state text;
  next_seq     bigint;
BEGIN
  UPDATE sessions SET last_seq = coalesce(NEW.seq, last_seq + 1)
   WHERE id = NEW.session_id AND (NEW.seq IS NULL OR NEW.seq > last_seq)
   RETURNING last_seq INTO next_seq;
  IF NOT FOUND THEN
    IF EXISTS (SELECT 1 FROM sessions WHERE id = NEW.session_id) THEN
      RAISE EXCEPTION 'events.seq must be greater than sessions.last_seq' USING ERRCODE = 'MKSEQ';
    END IF;
    RAISE EXCEPTION 'no session %', NEW.session_id USING ERRCODE = 'MKNSE';
  END IF;
  SELECT state INTO stream_state FROM streams
   WHERE id = NEW.stream_id AND session_id = NEW.session_id FOR SHARE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no stream % in session %', NEW.stream_id, NEW.session_id USING ERRCODE = 'MKNST';
  END IF;
  IF stream_state <> 'open' THEN
    RAISE EXCEPTION 'events can only be appended to an open stream'
      USING ERRCODE = 'MKCLS', DETAIL = stream_state;
  END IF;
  NEW.seq := next_seq;
  RETURN NEW;
END $$;

CREATE TRIGGER events_before_insert BEFORE INSERT ON events
  FOR EACH ROW EXECUTE FUNCTION events_before_insert();

-- Invariant: a session keeps at most settings.max_events events, the newest.
CREATE FUNCTION events_retain_max_per_session() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM events
   WHERE session_id = NEW.session_id
     AND seq <= NEW.seq - (SELECT value FROM settings WHERE name = 'max_events');
  RETURN NULL;
END $$;

CREATE TRIGGER events_retain_max_per_session AFTER INSERT ON events
  FOR EACH ROW EXECUTE FUNCTION events_retain_max_per_session();

-- Invariant: whoever deletes events, their streams remember the highest seq
-- gone, so a resume after it reports the gap.
CREATE FUNCTION events_record_eviction() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE streams s SET evicted_through = gone.seq
    FROM (SELECT stream_id, max(seq) AS seq FROM evicted GROUP BY stream_id) gone
   WHERE s.id = gone.stream_id AND gone.seq > s.evicted_through;
  RETURN NULL;
END $$;

CREATE TRIGGER events_record_eviction AFTER DELETE ON events
  REFERENCING OLD TABLE AS evicted
  FOR EACH STATEMENT EXECUTE FUNCTION events_record_eviction();

CREATE TABLE resource_subscriptions (
  session_id text NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  uri        text NOT NULL CHECK (length(uri) > 0),
  created_at bigint NOT NULL,
  PRIMARY KEY (session_id, uri)
);

CREATE INDEX resource_subscriptions_by_uri ON resource_subscriptions (uri);

CREATE TABLE upstream_sessions (
  session_id          text PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
  initialize_params   json NOT NULL,
  initialize_result   json NOT NULL,
  log_level           text,
  upstream_session_id text,
  updated_at          bigint NOT NULL
);

-- The request an open stream answers, kept until the stream closes.
CREATE TABLE upstream_requests (
  stream_id  bigint PRIMARY KEY REFERENCES streams (id) ON DELETE CASCADE,
  session_id text NOT NULL,
  request    json NOT NULL
);

CREATE FUNCTION streams_close_upstream_requests() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM upstream_requests WHERE stream_id = NEW.id;
  RETURN NULL;
END $$;

CREATE TRIGGER streams_close_upstream_requests AFTER UPDATE OF state ON streams
  FOR EACH ROW WHEN (NEW.state <> 'open') EXECUTE FUNCTION streams_close_upstream_requests();

-- Counts kept by triggers, so reading one costs the same at any size.
CREATE TABLE counters (
  name  text PRIMARY KEY,
  value bigint NOT NULL CHECK (value >= 0)
);

INSERT INTO counters (name, value) VALUES ('sessions', 0);

CREATE FUNCTION sessions_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE counters SET value = value + (SELECT count(*) FROM added) WHERE name = 'sessions';
  ELSE
    UPDATE counters SET value = value - (SELECT count(*) FROM removed) WHERE name = 'sessions';
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER sessions_count_insert AFTER INSERT ON sessions
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION sessions_count();
CREATE TRIGGER sessions_count_delete AFTER DELETE ON sessions
  REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION sessions_count();

-- The key that signs requestState (protocol 2026-07-28): the same for every
-- replica and restart. 32 bytes from PostgreSQL's strong random source.
CREATE TABLE request_state_key (
  id  integer PRIMARY KEY CHECK (id = 1),
  key bytea NOT NULL CHECK (length(key) = 32)
);

INSERT INTO request_state_key (id, key)
VALUES (1, decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex'));

CREATE TABLE tasks (
  -- 128 random bits as 32 lowercase hex digits: whoever holds it may poll,
  -- answer and cancel the task.
  id               text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{32}$'),
  status           text NOT NULL
                   CHECK (status IN ('working', 'input_required', 'completed', 'failed', 'cancelled')),
  status_message   text,
  created_at       bigint NOT NULL,
  updated_at       bigint NOT NULL,
  -- How long after created_at the task is kept (NULL: until deleted).
  ttl_ms           bigint CHECK (ttl_ms IS NULL OR ttl_ms > 0),
  poll_interval_ms bigint NOT NULL CHECK (poll_interval_ms > 0),
  -- The tools/call params that made it (name, arguments).
  request          json NOT NULL,
  -- Input requests waiting for the client's answers (key -> request), and
  -- every answer given so far (key -> result): keys are never reused.
  input_requests   json NOT NULL DEFAULT '{}',
  input_responses  json NOT NULL DEFAULT '{}',
  -- Exactly one, once finished: the tool's result (completed), or the
  -- JSON-RPC error (failed).
  result           json,
  error            json,
  CHECK ((status = 'completed') = (result IS NOT NULL)),
  CHECK ((status = 'failed') = (error IS NOT NULL))
);

CREATE INDEX tasks_unfinished ON tasks (status) WHERE status IN ('working', 'input_required');
CREATE INDEX tasks_by_expiry ON tasks ((created_at + ttl_ms)) WHERE ttl_ms IS NOT NULL;

-- Unix milliseconds as ISO-8601 UTC text, as the SQLite views show them.
CREATE FUNCTION iso_time(ms bigint) RETURNS text LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT to_char(to_timestamp(ms / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;

CREATE VIEW sessions_v AS
SELECT id,
       iso_time(created_at) AS created,
       iso_time(last_active) AS last_active,
       initialized,
       protocol_version,
       client_info ->> 'name' AS client_name,
       client_info ->> 'version' AS client_version,
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
       iso_time(created_at) AS created,
       iso_time(closed_at) AS closed,
       evicted_through,
       (SELECT count(*) FROM events e WHERE e.stream_id = st.id) AS events
  FROM streams st;

CREATE VIEW events_v AS
SELECT stream_id || '-' || seq AS event_id,
       session_id,
       stream_id,
       seq,
       type,
       iso_time(created_at) AS created,
       data ->> 'method' AS method,
       data ->> 'id' AS rpc_id,
       data
  FROM events;

CREATE VIEW resource_subscriptions_v AS
SELECT session_id, uri, iso_time(created_at) AS created
  FROM resource_subscriptions;

CREATE VIEW upstream_sessions_v AS
SELECT session_id,
       initialize_params -> 'clientInfo' ->> 'name' AS client_name,
       initialize_result -> 'serverInfo' ->> 'name' AS upstream_name,
       initialize_result ->> 'protocolVersion' AS protocol_version,
       log_level, upstream_session_id,
       iso_time(updated_at) AS updated
  FROM upstream_sessions;

CREATE VIEW tasks_v AS
SELECT id,
       status,
       status_message,
       request ->> 'name' AS tool,
       iso_time(created_at) AS created,
       iso_time(updated_at) AS updated,
       iso_time(created_at + ttl_ms) AS expires,
       request -> 'arguments' AS arguments,
       input_requests,
       result,
       error
  FROM tasks;
