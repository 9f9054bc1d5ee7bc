-- 005_search: the knowledge-base index. One FTS5 document per incident,
-- postmortem, timeline note (kinds note, change, status_update; not
-- deleted) and action item. A document's rowid is id * 4 + type
-- (0 incident, 1 postmortem, 2 event, 3 action), so its source is known
-- from the rowid alone.
--
-- Why a queue: PRAGMA trusted_schema=OFF (db.c) forbids triggers from
-- writing to a virtual table that SQLite does not mark innocuous, and FTS5
-- is not. So the triggers below record, in the same transaction as the
-- change, which documents changed (search_queue); search.c re-reads those
-- sources and rewrites their index rows before every search. Every write
-- path (handlers, ingest, the sqlite3 shell) goes through the triggers,
-- so the index cannot drift; it only lags until the next search.

CREATE VIRTUAL TABLE search_index USING fts5(
  title,                       -- weight 10
  root_cause,                  -- weight 5: category, tags, factors, section
  body,                        -- weight 1
  kind UNINDEXED,              -- incident, postmortem, event, action
  incident_id UNINDEXED,
  tokenize = 'unicode61 remove_diacritics 2',
  prefix = '2 3'
);
INSERT INTO search_index (search_index, rank)
  VALUES ('rank', 'bm25(10.0, 5.0, 1.0, 0.0, 0.0)');

-- Documents whose index rows must be rewritten (or removed).
CREATE TABLE search_queue (
  doc_id INTEGER PRIMARY KEY   -- source id * 4 + type
);

CREATE TRIGGER search_incident_ins AFTER INSERT ON incidents BEGIN
  INSERT OR IGNORE INTO search_queue VALUES (new.id * 4);
END;
CREATE TRIGGER search_incident_upd AFTER UPDATE ON incidents
  WHEN old.title IS NOT new.title OR old.summary IS NOT new.summary BEGIN
  INSERT OR IGNORE INTO search_queue VALUES (new.id * 4);
  -- a postmortem document carries its incident's title
  INSERT OR IGNORE INTO search_queue
    SELECT id * 4 + 1 FROM postmortems WHERE incident_id = new.id;
END;
CREATE TRIGGER search_incident_del AFTER DELETE ON incidents BEGIN
  INSERT OR IGNORE INTO search_queue VALUES (old.id * 4);
END;

CREATE TRIGGER search_postmortem_ins AFTER INSERT ON postmortems BEGIN
  INSERT OR IGNORE INTO search_queue VALUES (new.id * 4 + 1);
END;
CREATE TRIGGER search_postmortem_upd AFTER UPDATE ON postmortems
  WHEN old.body IS NOT new.body
    OR old.root_cause_category IS NOT new.root_cause_category
    OR old.tags IS NOT new.tags
    OR old.contributing_factors IS NOT new.contributing_factors
    OR old.status IS NOT new.status BEGIN
  INSERT OR IGNORE INTO search_queue VALUES (new.id * 4 + 1);
END;
CREATE TRIGGER search_postmortem_del AFTER DELETE ON postmortems BEGIN
  INSERT OR IGNORE INTO search_queue VALUES (old.id * 4 + 1);
END;

-- Only notes, changes and status updates are documents; log lines,
-- signals, alerts and tickets stay out (ingest updates them often).
CREATE TRIGGER search_event_ins AFTER INSERT ON events
  WHEN new.kind IN ('note', 'change', 'status_update') BEGIN
  INSERT OR IGNORE INTO search_queue VALUES (new.id * 4 + 2);
END;
CREATE TRIGGER search_event_upd AFTER UPDATE ON events
  WHEN (old.kind IN ('note', 'change', 'status_update')
        OR new.kind IN ('note', 'change', 'status_update'))
   AND (old.title IS NOT new.title OR old.body IS NOT new.body
        OR old.kind IS NOT new.kind OR old.deleted IS NOT new.deleted) BEGIN
  INSERT OR IGNORE INTO search_queue VALUES (new.id * 4 + 2);
END;
CREATE TRIGGER search_event_del AFTER DELETE ON events
  WHEN old.kind IN ('note', 'change', 'status_update') BEGIN
  INSERT OR IGNORE INTO search_queue VALUES (old.id * 4 + 2);
END;

CREATE TRIGGER search_action_ins AFTER INSERT ON actions BEGIN
  INSERT OR IGNORE INTO search_queue VALUES (new.id * 4 + 3);
END;
CREATE TRIGGER search_action_upd AFTER UPDATE ON actions
  WHEN old.title IS NOT new.title OR old.description IS NOT new.description
  BEGIN
  INSERT OR IGNORE INTO search_queue VALUES (new.id * 4 + 3);
END;
CREATE TRIGGER search_action_del AFTER DELETE ON actions BEGIN
  INSERT OR IGNORE INTO search_queue VALUES (old.id * 4 + 3);
END;

-- Backfill: everything that exists is queued; the first search indexes it.
INSERT OR IGNORE INTO search_queue SELECT id * 4 FROM incidents;
INSERT OR IGNORE INTO search_queue SELECT id * 4 + 1 FROM postmortems;
INSERT OR IGNORE INTO search_queue SELECT id * 4 + 2 FROM events
  WHERE kind IN ('note', 'change', 'status_update') AND deleted = 0;
INSERT OR IGNORE INTO search_queue SELECT id * 4 + 3 FROM actions;

-- Filters and insights look incidents up by start time.
CREATE INDEX incidents_started ON incidents (started_at);
