-- 003_status: what the public status page publishes. Status posts on
-- incidents (with the component statuses they changed), component groups,
-- maintenance windows, and each component's status history for uptime.
-- Times are UTC milliseconds since the epoch.

CREATE TABLE component_groups (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  position INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

-- A component may sit in one group; the page shows groups as sections.
ALTER TABLE components ADD COLUMN group_id INTEGER
  REFERENCES component_groups (id) ON DELETE SET NULL;

-- A public status post. Posting one publishes the incident.
CREATE TABLE incident_updates (
  id INTEGER PRIMARY KEY,
  incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  status TEXT NOT NULL CHECK (status IN ('investigating', 'identified',
    'monitoring', 'resolved', 'postmortem')),
  body TEXT NOT NULL DEFAULT '',       -- Markdown
  author TEXT NOT NULL DEFAULT '',     -- internal: never shown publicly
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX incident_updates_incident ON incident_updates (incident_id, id);

-- The component statuses an update changed (Statuspage's
-- affected_components).
CREATE TABLE incident_update_components (
  update_id INTEGER NOT NULL REFERENCES incident_updates (id)
    ON DELETE CASCADE,
  component_id INTEGER NOT NULL REFERENCES components (id) ON DELETE CASCADE,
  old_status TEXT NOT NULL,
  new_status TEXT NOT NULL,
  PRIMARY KEY (update_id, component_id)
) WITHOUT ROWID;

CREATE TABLE maintenances (
  id INTEGER PRIMARY KEY,
  title TEXT NOT NULL,
  body TEXT NOT NULL DEFAULT '',       -- Markdown
  status TEXT NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled',
    'in_progress', 'verifying', 'completed')),
  scheduled_for INTEGER NOT NULL,
  scheduled_until INTEGER NOT NULL,
  started_at INTEGER,                  -- when it went in_progress
  completed_at INTEGER,
  created_by TEXT NOT NULL DEFAULT '', -- internal
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  version INTEGER NOT NULL DEFAULT 1,
  CHECK (scheduled_until >= scheduled_for)
);
CREATE INDEX maintenances_status ON maintenances (status, scheduled_for);

-- prior_status: what the component was before the window began, restored
-- when it ends (NULL while the window has not started).
CREATE TABLE maintenance_components (
  maintenance_id INTEGER NOT NULL REFERENCES maintenances (id)
    ON DELETE CASCADE,
  component_id INTEGER NOT NULL REFERENCES components (id) ON DELETE CASCADE,
  prior_status TEXT,
  PRIMARY KEY (maintenance_id, component_id)
) WITHOUT ROWID;

-- Each status change of a maintenance, shown as its updates.
CREATE TABLE maintenance_updates (
  id INTEGER PRIMARY KEY,
  maintenance_id INTEGER NOT NULL REFERENCES maintenances (id)
    ON DELETE CASCADE,
  status TEXT NOT NULL,
  body TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL
);
CREATE INDEX maintenance_updates_m ON maintenance_updates (maintenance_id, id);

-- A component is in `status` from `from_ts` until its next row. Triggers
-- record every change, whoever writes it, at the row's updated_at, so
-- every writer must set updated_at with the status.
CREATE TABLE component_history (
  id INTEGER PRIMARY KEY,
  component_id INTEGER NOT NULL REFERENCES components (id) ON DELETE CASCADE,
  status TEXT NOT NULL,
  from_ts INTEGER NOT NULL
);
CREATE INDEX component_history_c ON component_history (component_id, from_ts);

INSERT INTO component_history (component_id, status, from_ts)
  SELECT id, status, created_at FROM components;

CREATE TRIGGER component_history_insert AFTER INSERT ON components
BEGIN
  INSERT INTO component_history (component_id, status, from_ts)
    VALUES (new.id, new.status, new.created_at);
END;

CREATE TRIGGER component_history_update AFTER UPDATE OF status ON components
  WHEN old.status IS NOT new.status
BEGIN
  INSERT INTO component_history (component_id, status, from_ts)
    VALUES (new.id, new.status, new.updated_at);
END;
