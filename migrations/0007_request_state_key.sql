-- 0007: the key that signs the requestState of protocol 2026-07-28's
-- multi-round-trip requests. A client echoes the state back when it
-- retries; the HMAC lets the server refuse one that was altered. One key
-- per file, so every process serving it, and every restart, signs and
-- checks alike. Whoever can read this file can forge a state, as they can
-- read every session in it anyway.
CREATE TABLE request_state_key (
  id  INTEGER PRIMARY KEY CHECK (id = 1),
  key BLOB NOT NULL CHECK (length(key) = 32)
);

INSERT INTO request_state_key (id, key) VALUES (1, randomblob(32));
