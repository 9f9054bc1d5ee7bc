-- 015_throttles: login failures per client address, shared by every node.
-- On PostgreSQL (several nodes behind one balancer) throttle.c counts here,
-- so an address refused by one node is refused by all; on SQLite (one
-- process) it counts in memory and the table stays empty.
CREATE TABLE throttles (
  key TEXT PRIMARY KEY,                 -- a client address, or "name:..."
  window_start INTEGER NOT NULL,        -- UTC ms the window began
  failures INTEGER NOT NULL             -- failures in that window
);
-- Old windows are pruned by age.
CREATE INDEX throttles_window ON throttles (window_start);
