-- 002_events: the incident timeline (events), the raw log lines behind
-- them, and per-minute access-log series for the chart and signals.

CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  ts INTEGER NOT NULL,                 -- UTC ms
  end_ts INTEGER,                      -- alerts and signals: when it ended
  kind TEXT NOT NULL CHECK (kind IN ('log', 'signal', 'alert', 'ticket',
    'note', 'change', 'status_update')),
  source TEXT NOT NULL DEFAULT '',
  level TEXT NOT NULL DEFAULT 'info' CHECK (level IN ('debug', 'info',
    'notice', 'warning', 'error', 'critical')),
  component TEXT NOT NULL DEFAULT '',  -- component or host
  title TEXT NOT NULL DEFAULT '',
  body TEXT NOT NULL DEFAULT '',       -- Markdown for notes
  raw TEXT,                            -- the evidence as it arrived
  fingerprint TEXT,                    -- same evidence, same fingerprint
  key TEXT CHECK (key IN ('started', 'detected', 'acknowledged', 'escalated',
    'mitigated', 'resolved')),
  pinned INTEGER NOT NULL DEFAULT 0,
  hidden INTEGER NOT NULL DEFAULT 0,
  deleted INTEGER NOT NULL DEFAULT 0,  -- deletes are soft
  count INTEGER NOT NULL DEFAULT 1,    -- lines or notices folded into it
  author TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX events_timeline ON events (incident_id, ts, id);
CREATE UNIQUE INDEX events_fingerprint ON events (incident_id, fingerprint)
  WHERE fingerprint IS NOT NULL;

-- Raw log lines, compact: found by incident and time, or by the signal
-- they fed. fp is a 64-bit hash of (source, line number, text) so the
-- same file ingested twice adds nothing.
CREATE TABLE raw_lines (
  id INTEGER PRIMARY KEY,
  incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  ts INTEGER NOT NULL,
  fp INTEGER NOT NULL,
  signal_id INTEGER,                   -- events.id of the signal it fed
  bad INTEGER NOT NULL DEFAULT 0,      -- an error line (5xx, level error+)
  grp INTEGER,                         -- hash of a repeated error message
  source TEXT NOT NULL,
  line TEXT NOT NULL
);
-- Time first: logs arrive roughly in time order, so inserts append to
-- the index instead of scattering across it; it also serves time queries.
CREATE UNIQUE INDEX raw_lines_dedupe ON raw_lines (incident_id, ts, fp);
CREATE INDEX raw_lines_signal ON raw_lines (signal_id) WHERE signal_id
  IS NOT NULL;

-- Access logs condensed per minute and source.
CREATE TABLE access_minutes (
  incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  source TEXT NOT NULL,
  minute INTEGER NOT NULL,             -- UTC ms at the start of the minute
  requests INTEGER NOT NULL DEFAULT 0,
  s4xx INTEGER NOT NULL DEFAULT 0,
  s5xx INTEGER NOT NULL DEFAULT 0,
  bytes INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (incident_id, source, minute)
) WITHOUT ROWID;
