-- 0005: what the gateway (serve --upstream-command / --upstream-url) needs to
-- rebuild a session's upstream MCP server after a restart of mcpkeep or of
-- the upstream: the client's initialize params (replayed to a fresh
-- upstream), the upstream's initialize result (what the client was told, to
-- notice changed capabilities), the log level the client set and, for an
-- HTTP upstream, its Mcp-Session-Id. Resource subscriptions are in
-- resource_subscriptions. Part of the session: it goes with it.

CREATE TABLE upstream_sessions (
  session_id          TEXT PRIMARY KEY NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  initialize_params   TEXT NOT NULL CHECK (json_valid(initialize_params)),
  initialize_result   TEXT NOT NULL CHECK (json_valid(initialize_result)),
  log_level           TEXT,
  upstream_session_id TEXT,
  updated_at          INTEGER NOT NULL
) WITHOUT ROWID;

-- The sqlite3 CLI leaves foreign keys off: deleting a session by hand still
-- removes its upstream state.
CREATE TRIGGER sessions_delete_upstream_sessions AFTER DELETE ON sessions
BEGIN
  DELETE FROM upstream_sessions WHERE session_id = OLD.id;
END;

CREATE VIEW upstream_sessions_v AS
SELECT session_id,
       json_extract(initialize_params, '$.clientInfo.name') AS client_name,
       json_extract(initialize_result, '$.serverInfo.name') AS upstream_name,
       json_extract(initialize_result, '$.protocolVersion') AS protocol_version,
       log_level, upstream_session_id,
       strftime('%Y-%m-%dT%H:%M:%fZ', updated_at / 1000.0, 'unixepoch') AS updated
  FROM upstream_sessions;

-- Calls the gateway may send again after a restart of mcpkeep
-- (--retry-idempotent, tools annotated readOnlyHint or idempotentHint): the
-- client's request, kept while the stream that answers it is open.
CREATE TABLE upstream_requests (
  stream_id  INTEGER PRIMARY KEY NOT NULL REFERENCES streams (id) ON DELETE CASCADE,
  session_id TEXT NOT NULL,
  request    TEXT NOT NULL CHECK (json_valid(request))
);

CREATE TRIGGER streams_close_upstream_requests AFTER UPDATE OF state ON streams
WHEN NEW.state <> 'open'
BEGIN
  DELETE FROM upstream_requests WHERE stream_id = NEW.id;
END;

CREATE TRIGGER streams_delete_upstream_requests AFTER DELETE ON streams
BEGIN
  DELETE FROM upstream_requests WHERE stream_id = OLD.id;
END;
