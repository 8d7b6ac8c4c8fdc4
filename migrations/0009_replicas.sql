-- 0009: replicas. Every process serving the database registers itself with
-- a lease it renews while it lives; a request stream belongs to the replica
-- that opened it, a task to the one running it. A stream whose owner's
-- lease ran out (the process died) is claimed by one surviving replica, which ends it with the interrupted
-- answer (or, through the gateway, sends its request upstream again). On
-- SQLite one live server per file is the rule (the .serving lock), so a
-- starting server claims every other replica's streams at once.

CREATE TABLE replicas (
  -- 128 random bits as 32 lowercase hex digits, new at each start.
  id          TEXT PRIMARY KEY NOT NULL CHECK (length(id) BETWEEN 1 AND 128),
  started_at  INTEGER NOT NULL,
  -- Unix ms until which the replica is presumed alive.
  lease_until INTEGER NOT NULL,
  -- For people: pid, host, where it listens.
  description TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;

-- The replica serving the stream; NULL: none (streams made before 0009).
ALTER TABLE streams ADD COLUMN owner TEXT;

CREATE INDEX streams_open_requests_by_owner ON streams (owner)
  WHERE kind = 'request' AND state = 'open';

-- The replica running the task's handler; NULL: none (tasks before 0009).
ALTER TABLE tasks ADD COLUMN owner TEXT;

CREATE VIEW replicas_v AS
SELECT id,
       description,
       strftime('%Y-%m-%dT%H:%M:%fZ', started_at / 1000.0, 'unixepoch') AS started,
       strftime('%Y-%m-%dT%H:%M:%fZ', lease_until / 1000.0, 'unixepoch') AS lease_until,
       (SELECT count(*) FROM streams s
         WHERE s.owner = r.id AND s.kind = 'request' AND s.state = 'open') AS open_streams
  FROM replicas r;
