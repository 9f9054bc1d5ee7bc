-- raw_rows: raw evidence lines by source and time, never by incident (an
-- incident's lines are those of its window and sources). Only rawstore.c
-- reads or writes this table. fp is a 64-bit hash of the line number and
-- text, so the same file ingested twice adds nothing.
CREATE TABLE raw_rows (
  id INTEGER PRIMARY KEY,
  source TEXT NOT NULL,
  ts INTEGER NOT NULL,                 -- UTC ms
  fp INTEGER NOT NULL,
  bad INTEGER NOT NULL DEFAULT 0,      -- an error line (5xx, level error+)
  grp INTEGER NOT NULL DEFAULT 0,      -- hash of its folded message, 0: none
  line TEXT NOT NULL
);
-- Time first: lines arrive roughly in time order, so inserts append.
CREATE UNIQUE INDEX raw_rows_dedupe ON raw_rows (ts, source, fp);
CREATE INDEX raw_rows_source ON raw_rows (source, ts);

INSERT INTO raw_rows (source, ts, fp, bad, grp, line)
  SELECT source, ts, fp, bad, coalesce(grp, 0), line FROM raw_lines
  ORDER BY ts, id
  ON CONFLICT DO NOTHING;
DROP TABLE raw_lines;
