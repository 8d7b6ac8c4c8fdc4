-- 0002: the resources each session subscribed to (MCP resources/subscribe).
-- Part of the session's durable state: a client's subscriptions hold across
-- a restart, and go with the session.

CREATE TABLE resource_subscriptions (
  session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  uri        TEXT NOT NULL CHECK (length(uri) > 0),
  created_at INTEGER NOT NULL,
  PRIMARY KEY (session_id, uri)
) WITHOUT ROWID;

-- "Who is subscribed to this URI?", asked on every update.
CREATE INDEX resource_subscriptions_by_uri ON resource_subscriptions (uri);

-- The sqlite3 CLI leaves foreign keys off: deleting a session by hand still
-- removes its subscriptions.
CREATE TRIGGER sessions_delete_resource_subscriptions AFTER DELETE ON sessions
BEGIN
  DELETE FROM resource_subscriptions WHERE session_id = OLD.id;
END;

CREATE VIEW resource_subscriptions_v AS
SELECT session_id, uri,
       strftime('%Y-%m-%dT%H:%M:%fZ', created_at / 1000.0, 'unixepoch') AS created
  FROM resource_subscriptions;
