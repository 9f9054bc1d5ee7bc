-- 017_request_keys: the key a client sent with a create request (the
-- Idempotency-Key header, or the note form's request_key field), so that
-- the same request sent again after an unclear answer (db_commit_unknown
-- during a failover, a dropped connection) finds what the first one made
-- instead of making it twice. Kept a day (request_key.c prunes).
CREATE TABLE request_keys (
  actor TEXT NOT NULL,                  -- who sent it: keys are per user
  key TEXT NOT NULL,                    -- the client's key
  scope TEXT NOT NULL,                  -- where: "incident 5 events"
  req_hash TEXT NOT NULL,               -- sha256 of the request's fields
  ref_id INTEGER NOT NULL,              -- what it made (an event id)
  created_at INTEGER NOT NULL,          -- UTC ms
  PRIMARY KEY (actor, key)
);
CREATE INDEX request_keys_age ON request_keys (created_at);
