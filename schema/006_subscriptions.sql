-- 006_subscriptions: people and endpoints told about incidents and
-- maintenance (double opt-in), the outbox the delivery worker drains, and
-- users' e-mail addresses for action reminders. Times are UTC ms.

ALTER TABLE users ADD COLUMN email TEXT;

-- A subscriber: an e-mail address or a webhook URL. Tokens are stored as
-- SHA-256 hashes only. `secret` signs webhook bodies (HMAC-SHA256) and
-- derives the unsubscribe token, so it must be kept in the clear.
CREATE TABLE subscribers (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('email', 'webhook')),
  address TEXT NOT NULL,               -- e-mail address or URL
  secret TEXT NOT NULL,                -- 64 hex digits
  confirm_token_hash TEXT UNIQUE,      -- NULL once confirmed
  confirm_expires_at INTEGER,
  unsubscribe_token_hash TEXT NOT NULL UNIQUE,
  confirmed_at INTEGER,                -- NULL until the link is followed
  created_at INTEGER NOT NULL,
  UNIQUE (kind, address)
);

-- The components a subscriber chose; none means every component.
CREATE TABLE subscriber_components (
  subscriber_id INTEGER NOT NULL REFERENCES subscribers (id)
    ON DELETE CASCADE,
  component_id INTEGER NOT NULL REFERENCES components (id) ON DELETE CASCADE,
  PRIMARY KEY (subscriber_id, component_id)
) WITHOUT ROWID;
CREATE INDEX subscriber_components_c ON subscriber_components (component_id);

-- Subscribe attempts per address, for the hourly rate limit.
CREATE TABLE subscribe_attempts (
  address TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX subscribe_attempts_a ON subscribe_attempts (address, created_at);

-- One message to one recipient. Written in the same transaction as the
-- change that caused it; subject and bodies are filled by the worker
-- before the first attempt (confirmations: at once) and then never change,
-- so every retry sends the same bytes under the same idempotency key.
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY,
  subscriber_id INTEGER REFERENCES subscribers (id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('email', 'webhook')),
  address TEXT NOT NULL,               -- recipient when queued
  topic TEXT NOT NULL CHECK (topic IN ('confirm', 'incident_update',
    'maintenance_update', 'action_reminder')),
  ref_id INTEGER,                      -- incident_updates / maintenance_updates / actions id
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
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_subscriber ON outbox (subscriber_id);
