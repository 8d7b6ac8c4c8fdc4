-- 0003: messages between replicas. What a replica leaves for another: a
-- client's answer to a request a tool on the other sent, or the
-- cancellation of a call the other runs, that reached the wrong replica.
-- Taken (deleted) by the replica named; those of replicas gone are deleted
-- by whoever claims their streams.
CREATE TABLE replica_messages (
  id         bigserial PRIMARY KEY,
  replica    text NOT NULL,
  session_id text NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  message    json NOT NULL,
  created_at bigint NOT NULL
);

CREATE INDEX replica_messages_by_replica ON replica_messages (replica, id);
