-- 0008: tasks (the io.modelcontextprotocol/tasks extension of protocol
-- 2026-07-28). A tool call that becomes a task answers at once with the
-- task's id; the work goes on, and the client polls tasks/get, answers
-- input requests with tasks/update, or cancels with tasks/cancel. The row
-- is committed before the client hears of the task, and holds everything
-- tasks/get returns, so a task outlives the process that ran it: after a
-- kill -9, the next server fails (or re-runs) what was unfinished.
CREATE TABLE tasks (
  -- 128 random bits as 32 lowercase hex digits: whoever holds it may poll,
  -- answer and cancel the task.
  id               TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 32 AND id NOT GLOB '*[^0-9a-f]*'),
  status           TEXT NOT NULL
                   CHECK (status IN ('working', 'input_required', 'completed', 'failed', 'cancelled')),
  status_message   TEXT,
  created_at       INTEGER NOT NULL,  -- Unix ms
  updated_at       INTEGER NOT NULL,
  -- How long after created_at the task is kept (NULL: until deleted).
  ttl_ms           INTEGER CHECK (ttl_ms IS NULL OR ttl_ms > 0),
  poll_interval_ms INTEGER NOT NULL CHECK (poll_interval_ms > 0),
  -- The tools/call params that made it (name, arguments).
  request          TEXT NOT NULL CHECK (json_valid(request)),
  -- Input requests waiting for the client's answers (key -> request), and
  -- every answer given so far (key -> result): keys are never reused.
  input_requests   TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(input_requests)),
  input_responses  TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(input_responses)),
  -- Exactly one, once finished: the tool's result (completed), or the
  -- JSON-RPC error (failed).
  result           TEXT CHECK (result IS NULL OR json_valid(result)),
  error            TEXT CHECK (error IS NULL OR json_valid(error)),
  CHECK ((status = 'completed') = (result IS NOT NULL)),
  CHECK ((status = 'failed') = (error IS NOT NULL))
);
CREATE INDEX tasks_unfinished ON tasks (status) WHERE status IN ('working', 'input_required');
CREATE INDEX tasks_by_expiry ON tasks (created_at + ttl_ms) WHERE ttl_ms IS NOT NULL;

-- For people: times in ISO 8601, the tool by name.
CREATE VIEW tasks_v AS
SELECT id,
       status,
       status_message,
       json_extract(request, '$.name') AS tool,
       strftime('%Y-%m-%dT%H:%M:%fZ', created_at / 1000.0, 'unixepoch') AS created,
       strftime('%Y-%m-%dT%H:%M:%fZ', updated_at / 1000.0, 'unixepoch') AS updated,
       CASE WHEN ttl_ms IS NULL THEN NULL
            ELSE strftime('%Y-%m-%dT%H:%M:%fZ', (created_at + ttl_ms) / 1000.0, 'unixepoch') END AS expires,
       json_extract(request, '$.arguments') AS arguments,
       input_requests,
       result,
       error
FROM tasks;
