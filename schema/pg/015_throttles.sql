-- 015_throttles (PostgreSQL): as schema/015_throttles.sql.
CREATE TABLE throttles (
  key TEXT COLLATE "C" PRIMARY KEY,
  window_start BIGINT NOT NULL,
  failures BIGINT NOT NULL
);
CREATE INDEX throttles_window ON throttles (window_start);
