-- 0006: the number of sessions, kept by triggers, so that the max_sessions
-- check at every initialize and the /metrics gauge read one row instead of
-- counting every session in the file (with 500,000 sessions on file that
-- count made session creation 14x slower). The triggers keep it right
-- whoever inserts or deletes sessions, the sqlite3 CLI included.

CREATE TABLE counters (
  name  TEXT PRIMARY KEY NOT NULL,
  value INTEGER NOT NULL CHECK (value >= 0)
) WITHOUT ROWID;

INSERT INTO counters (name, value) SELECT 'sessions', count(*) FROM sessions;

CREATE TRIGGER sessions_count_insert AFTER INSERT ON sessions
BEGIN
  UPDATE counters SET value = value + 1 WHERE name = 'sessions';
END;

CREATE TRIGGER sessions_count_delete AFTER DELETE ON sessions
BEGIN
  UPDATE counters SET value = value - 1 WHERE name = 'sessions';
END;
