-- 004_postmortems: one postmortem per incident, its revisions, and the
-- action items tracked across incidents. Times are UTC ms; due dates are
-- calendar days ('YYYY-MM-DD', UTC) so they compare as text.

CREATE TABLE postmortems (
  id INTEGER PRIMARY KEY,
  incident_id INTEGER NOT NULL UNIQUE
    REFERENCES incidents (id) ON DELETE CASCADE,
  status TEXT NOT NULL DEFAULT 'draft'
    CHECK (status IN ('draft', 'in_review', 'published')),
  body TEXT NOT NULL DEFAULT '',           -- Markdown, the internal document
  public_summary TEXT NOT NULL DEFAULT '', -- Markdown, customer-facing
  root_cause_category TEXT NOT NULL DEFAULT 'unknown'
    CHECK (root_cause_category IN ('change_config', 'capacity', 'dependency',
      'deploy', 'hardware', 'software_bug', 'process', 'unknown')),
  contributing_factors TEXT NOT NULL DEFAULT '[]', -- JSON array of strings
  tags TEXT NOT NULL DEFAULT '[]',                 -- JSON array of strings
  publish_override_reason TEXT,  -- why it moved on while incomplete
  created_by TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  published_at INTEGER,
  version INTEGER NOT NULL DEFAULT 1
);

-- Every save of the body: who and when, with the whole text.
CREATE TABLE postmortem_revisions (
  id INTEGER PRIMARY KEY,
  incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  body TEXT NOT NULL,
  author TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX postmortem_revisions_incident
  ON postmortem_revisions (incident_id, id);

CREATE TABLE actions (
  id INTEGER PRIMARY KEY,
  incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '', -- Markdown
  owner TEXT NOT NULL DEFAULT '',
  due_date TEXT CHECK (due_date IS NULL OR due_date GLOB
    '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
  priority TEXT NOT NULL DEFAULT 'P2' CHECK (priority IN ('P1', 'P2', 'P3')),
  type TEXT NOT NULL DEFAULT 'corrective' CHECK (type IN ('corrective',
    'preventive', 'detection', 'mitigation', 'process')),
  status TEXT NOT NULL DEFAULT 'open'
    CHECK (status IN ('open', 'in_progress', 'done', 'wont_do')),
  created_by TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  closed_at INTEGER,                    -- set when done or wont_do
  version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX actions_incident ON actions (incident_id, id);
CREATE INDEX actions_open_due ON actions (status, due_date);
