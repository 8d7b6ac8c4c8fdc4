-- 0004: a random number naming this database. A WAL file holds no trace of
-- the database it belongs to; opening one beside the wrong database would
-- replay its pages there and, at the last close, copy them in for good. At
-- open, mcpkeep reads this id with and without the WAL and refuses the file
-- when they differ.
CREATE TABLE database_id (
  id INTEGER PRIMARY KEY CHECK (id <> 0)
);

INSERT INTO database_id (id) VALUES ((random() & 9223372036854775807) | 1);
