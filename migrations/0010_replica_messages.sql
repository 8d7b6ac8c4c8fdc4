-- 0010: messages between replicas. What a replica leaves for another: a
-- client's answer to a request a tool on the other sent, or the
-- cancellation of a call the other runs, that reached the wrong replica.
-- Taken (deleted) by the replica named; those of replicas gone are deleted
-- by whoever claims their streams.
CREATE TABLE replica_messages (
  id         INTEGER PRIMARY KEY,
  replica    TEXT NOT NULL,
  session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  message    TEXT NOT NULL CHECK (json_valid(message)),
  created_at INTEGER NOT NULL
);
CREATE INDEX replica_messages_by_replica ON replica_messages (replica, id);
CREATE TRIGGER sessions_delete_replica_messages AFTER DELETE ON sessions
BEGIN
  DELETE FROM replica_messages WHERE session_id = OLD.id;
END;
