-- Raw evidence lines in zstd-compressed blocks, one source and at most an
-- hour of time each (rawstore.c). Everything but the payload is plain
-- columns for sqlite3; the payload's format is in server/rawblock.h.
-- Small columns come before the payload so reading them never walks the
-- payload's overflow pages.
CREATE TABLE raw_blocks (
  id INTEGER PRIMARY KEY,              -- also the arrival order of blocks
  source TEXT NOT NULL,
  ts_min INTEGER NOT NULL,             -- UTC ms of its first line
  ts_max INTEGER NOT NULL,             -- of its last; ts_max - ts_min < 1 h
  n_lines INTEGER NOT NULL,
  has_bad INTEGER NOT NULL DEFAULT 0,  -- holds an error line
  codec INTEGER NOT NULL,              -- 1: zstd, payload format 1
  raw_bytes INTEGER NOT NULL,          -- payload size decompressed
  grps BLOB,                           -- its error lines' message groups:
                                       -- distinct, sorted, 8 bytes LE each
  keys BLOB NOT NULL,                  -- dedupe keys of its lines: sorted,
                                       -- 6 bytes big-endian each
  payload BLOB NOT NULL
);
CREATE INDEX raw_blocks_time ON raw_blocks (ts_min);
CREATE INDEX raw_blocks_source ON raw_blocks (source, ts_min);
