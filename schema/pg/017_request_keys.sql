-- 017_request_keys (PostgreSQL): as schema/017_request_keys.sql.
CREATE TABLE request_keys (
  actor TEXT COLLATE "C" NOT NULL,
  key TEXT COLLATE "C" NOT NULL,
  scope TEXT COLLATE "C" NOT NULL,
  req_hash TEXT COLLATE "C" NOT NULL,
  ref_id BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (actor, key)
);
CREATE INDEX request_keys_age ON request_keys (created_at);
