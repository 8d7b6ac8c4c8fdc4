-- 0002: replicas. Every process serving the database registers itself with
-- a lease it renews while it lives (times from this server's clock, so the
-- replicas' clocks need not agree); a request stream belongs to the replica
-- that opened it, a task to the one running it. A stream whose owner's lease ran out (the process died)
-- is claimed by exactly one surviving replica (a row lock decides), which
-- ends it with the interrupted answer.

CREATE TABLE replicas (
  -- 128 random bits as 32 lowercase hex digits, new at each start.
  id          text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 128),
  started_at  bigint NOT NULL,
  -- Unix ms until which the replica is presumed alive.
  lease_until bigint NOT NULL,
  -- For people: pid, host, where it listens.
  description text NOT NULL DEFAULT ''
);

-- The replica serving the stream; NULL: none.
ALTER TABLE streams ADD COLUMN owner text;

CREATE INDEX streams_open_requests_by_owner ON streams (owner)
  WHERE kind = 'request' AND state = 'open';

-- The replica running the task's handler; NULL: none.
ALTER TABLE tasks ADD COLUMN owner text;

-- Now as Unix ms on this server's clock.
CREATE FUNCTION now_ms() RETURNS bigint LANGUAGE sql VOLATILE AS $$
  SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint
$$;

CREATE VIEW replicas_v AS
SELECT id,
       description,
       iso_time(started_at) AS started,
       iso_time(lease_until) AS lease_until,
       lease_until > now_ms() AS alive,
       (SELECT count(*) FROM streams s
         WHERE s.owner = r.id AND s.kind = 'request' AND s.state = 'open') AS open_streams
  FROM replicas r;
