-- 001_init: users, sessions, API tokens, components, incidents, settings,
-- and the change log. Times are UTC milliseconds since the epoch.

CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
  pw_hash TEXT NOT NULL,               -- yescrypt, "$y$..."
  created_at INTEGER NOT NULL,
  pw_changed_at INTEGER NOT NULL,
  failed_logins INTEGER NOT NULL DEFAULT 0, -- failures in the current window
  failed_since INTEGER NOT NULL DEFAULT 0   -- start of that window
);

-- A session is found by the SHA-256 of its cookie token, never the token.
CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  csrf TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  seen_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  scope TEXT NOT NULL CHECK (scope IN ('ingest', 'write', 'read')),
  token_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at INTEGER
);

CREATE TABLE components (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT 'operational' CHECK (status IN (
    'operational', 'degraded_performance', 'partial_outage', 'major_outage',
    'under_maintenance')),
  position INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  version INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE incidents (
  id INTEGER PRIMARY KEY,
  title TEXT NOT NULL,
  severity TEXT NOT NULL DEFAULT 'SEV3'
    CHECK (severity IN ('SEV1', 'SEV2', 'SEV3', 'SEV4')),
  status TEXT NOT NULL DEFAULT 'investigating' CHECK (status IN (
    'investigating', 'identified', 'monitoring', 'resolved', 'postmortem')),
  impact TEXT NOT NULL DEFAULT 'minor'
    CHECK (impact IN ('none', 'minor', 'major', 'critical', 'maintenance')),
  public INTEGER NOT NULL DEFAULT 0,
  commander TEXT NOT NULL DEFAULT '',
  summary TEXT NOT NULL DEFAULT '',    -- Markdown
  started_at INTEGER NOT NULL,         -- impact start
  detected_at INTEGER,
  acknowledged_at INTEGER,
  escalated_at INTEGER,
  mitigated_at INTEGER,
  resolved_at INTEGER,
  created_by TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,         -- when it was declared
  updated_at INTEGER NOT NULL,
  version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX incidents_status ON incidents (status, id);

CREATE TABLE incident_components (
  incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  component_id INTEGER NOT NULL REFERENCES components (id) ON DELETE CASCADE,
  PRIMARY KEY (incident_id, component_id)
) WITHOUT ROWID;
CREATE INDEX incident_components_component
  ON incident_components (component_id);

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

-- Every change to a record: who, when, what it was and what it became.
CREATE TABLE changes (
  id INTEGER PRIMARY KEY,
  ts INTEGER NOT NULL,
  actor TEXT NOT NULL,
  entity TEXT NOT NULL,                -- 'incident', 'component', ...
  entity_id INTEGER NOT NULL,
  action TEXT NOT NULL,                -- 'create', 'update', 'delete'
  before TEXT,                         -- JSON or NULL
  after TEXT                           -- JSON or NULL
);
CREATE INDEX changes_entity ON changes (entity, entity_id, id);
