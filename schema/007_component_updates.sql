-- 007_component_updates: a component's status change reaches its
-- subscribers (outbox topic 'component_update', Statuspage's webhook event
-- of that name). Each component_history row now keeps the status it
-- replaced, so one row is the whole component_update record and its id is
-- the one a webhook names. Times are UTC ms.

-- NULL for a component's first row, and for rows written before 007.
ALTER TABLE component_history ADD COLUMN old_status TEXT;

DROP TRIGGER component_history_update;
CREATE TRIGGER component_history_update AFTER UPDATE OF status ON components
  WHEN old.status IS NOT new.status
BEGIN
  INSERT INTO component_history (component_id, status, from_ts, old_status)
    VALUES (new.id, new.status, new.updated_at, old.status);
END;

-- The outbox again, with the new topic in its CHECK (SQLite cannot alter a
-- CHECK in place: build, copy, drop, rename). Nothing references outbox.
CREATE TABLE outbox_new (
  id INTEGER PRIMARY KEY,
  subscriber_id INTEGER REFERENCES subscribers (id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('email', 'webhook')),
  address TEXT NOT NULL,               -- recipient when queued
  topic TEXT NOT NULL CHECK (topic IN ('confirm', 'incident_update',
    'maintenance_update', 'action_reminder', 'component_update')),
  ref_id INTEGER,                      -- incident_updates / maintenance_updates / actions / component_history id
  subject TEXT,
  body_text TEXT,
  body_html TEXT,
  payload TEXT,                        -- webhooks: the JSON body
  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending',
    'sending', 'sent', 'failed', 'dead')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error TEXT NOT NULL DEFAULT '',
  idempotency_key TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  sent_at INTEGER
);
INSERT INTO outbox_new SELECT id, subscriber_id, kind, address, topic,
  ref_id, subject, body_text, body_html, payload, state, attempts,
  next_attempt_at, last_error, idempotency_key, created_at, sent_at
  FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_subscriber ON outbox (subscriber_id);
-- Pruning finds old finished messages by age.
CREATE INDEX outbox_created ON outbox (created_at);
