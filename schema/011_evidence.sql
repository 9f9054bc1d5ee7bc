-- evidence: alerts, tickets, changes, signals and condensed log events,
-- kept whether or not an incident covers them. One row per fingerprint:
-- an alert's firing and resolved notices are one row. An incident's
-- timeline holds copies (events.evidence_id) drawn in by time window and
-- component, so its own edits, pins and notes stay in events.
CREATE TABLE evidence (
  id INTEGER PRIMARY KEY,
  fingerprint TEXT NOT NULL UNIQUE,
  ts INTEGER NOT NULL,                 -- UTC ms
  end_ts INTEGER,                      -- alerts and signals: when it ended
  kind TEXT NOT NULL,
  source TEXT NOT NULL DEFAULT '',
  level TEXT NOT NULL DEFAULT 'info',
  component TEXT NOT NULL DEFAULT '',
  title TEXT NOT NULL DEFAULT '',
  body TEXT NOT NULL DEFAULT '',
  raw TEXT,
  count INTEGER NOT NULL DEFAULT 1,
  grp INTEGER NOT NULL DEFAULT 0,      -- signals: their lines' message group
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX evidence_time ON evidence (ts, id);

-- Access logs per source and minute, for signals and the chart.
CREATE TABLE access_series (
  source TEXT NOT NULL,
  minute INTEGER NOT NULL,             -- UTC ms at the start of the minute
  requests INTEGER NOT NULL DEFAULT 0,
  s4xx INTEGER NOT NULL DEFAULT 0,
  s5xx INTEGER NOT NULL DEFAULT 0,
  bytes INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (source, minute)
) WITHOUT ROWID;
INSERT INTO access_series (source, minute, requests, s4xx, s5xx, bytes)
  SELECT source, minute, sum(requests), sum(s4xx), sum(s5xx), sum(bytes)
  FROM access_minutes GROUP BY source, minute;
DROP TABLE access_minutes;

-- Sources an incident was given evidence from by hand (ingest with an
-- incident) and the time range given: their raw lines in its window, or
-- in that range, belong to it (and stay while it does).
CREATE TABLE incident_sources (
  incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  source TEXT NOT NULL,
  first_ts INTEGER NOT NULL,           -- UTC ms
  last_ts INTEGER NOT NULL,
  PRIMARY KEY (incident_id, source)
) WITHOUT ROWID;

-- Alerts that declared an incident (ingest.auto_declare): never twice.
CREATE TABLE alert_declared (
  fingerprint TEXT PRIMARY KEY,
  incident_id INTEGER,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;

-- drawn: 1 for a copy drawn in by matching, which take-out may remove;
-- 0 for everything attached on purpose (and all older rows).
ALTER TABLE events ADD COLUMN evidence_id INTEGER REFERENCES evidence (id)
  ON DELETE SET NULL;
ALTER TABLE events ADD COLUMN drawn INTEGER NOT NULL DEFAULT 0;
CREATE INDEX events_evidence ON events (evidence_id) WHERE evidence_id
  IS NOT NULL;

INSERT INTO evidence (fingerprint, ts, end_ts, kind, source, level,
  component, title, body, raw, count, created_at, updated_at)
  SELECT fingerprint, min(ts), max(end_ts), min(kind), min(source),
    min(level), min(component), min(title), min(body), min(raw), max(count),
    min(created_at), max(updated_at)
  FROM events
  WHERE fingerprint IS NOT NULL
    AND kind IN ('log', 'signal', 'alert', 'ticket', 'change')
  GROUP BY fingerprint;
UPDATE events SET evidence_id = (SELECT e.id FROM evidence e
  WHERE e.fingerprint = events.fingerprint)
  WHERE fingerprint IS NOT NULL
    AND kind IN ('log', 'signal', 'alert', 'ticket', 'change');
INSERT INTO incident_sources (incident_id, source, first_ts, last_ts)
  SELECT incident_id, source, min(ts), max(coalesce(end_ts, ts)) FROM events
  WHERE source <> '' AND kind IN ('log', 'signal')
  GROUP BY incident_id, source;
