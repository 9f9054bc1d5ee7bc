-- 008_search_facets: what lets search stay fast on a large knowledge base
-- (see server/search.c and BENCHMARKS.md).
--
-- 1. Filters become index lookups. A new indexed column, facets, holds
--    filter tokens for each document (its type, its incident's severity,
--    start year and month, components, root-cause category and tags;
--    spelled by search_index.c), so a filtered search is one FTS5 query
--    instead of a join per match. Its bm25 weight is 0 and user queries
--    are restricted to the three text columns, so ranking and snippets do
--    not see it. started_at (the incident's start) is stored for the exact
--    date check.
-- 2. A vocabulary with document frequencies, search_terms, kept by
--    search_index.c in the same transaction as the index rows: it gives
--    bm25's document frequencies and the words behind a prefix without
--    reading whole FTS5 doclists.
--
-- The index is rebuilt: the table is dropped and every document queued
-- again, so the first search after this migration indexes everything (as
-- after 005). The tokenizer must stay the one search.c tokenizes queries
-- and vocabulary with ('unicode61 remove_diacritics 2').

DROP TABLE search_index;
CREATE VIRTUAL TABLE search_index USING fts5(
  title,                       -- weight 10
  root_cause,                  -- weight 5: category, tags, factors, section
  body,                        -- weight 1
  facets,                      -- weight 0: filter tokens
  kind UNINDEXED,              -- incident, postmortem, event, action
  incident_id UNINDEXED,
  started_at UNINDEXED,        -- the incident's started_at (UTC ms)
  tokenize = 'unicode61 remove_diacritics 2',
  prefix = '2 3'
);
INSERT INTO search_index (search_index, rank)
  VALUES ('rank', 'bm25(10.0, 5.0, 1.0, 0.0)');

-- Per term, how many documents hold it in title, root_cause or body.
CREATE TABLE search_terms (
  term TEXT PRIMARY KEY,       -- a token as the tokenizer emits it
  ndoc INTEGER NOT NULL        -- documents holding it (rows at 0 removed)
) WITHOUT ROWID;

-- A document's facets come from its incident: when those change, every
-- document of the incident is queued. (Titles and bodies: see 005.)
CREATE TRIGGER search_facet_incident AFTER UPDATE ON incidents
  WHEN old.severity IS NOT new.severity
    OR old.started_at IS NOT new.started_at BEGIN
  INSERT OR IGNORE INTO search_queue VALUES (new.id * 4);
  INSERT OR IGNORE INTO search_queue
    SELECT id * 4 + 1 FROM postmortems WHERE incident_id = new.id;
  INSERT OR IGNORE INTO search_queue
    SELECT id * 4 + 2 FROM events WHERE incident_id = new.id
      AND kind IN ('note', 'change', 'status_update') AND deleted = 0;
  INSERT OR IGNORE INTO search_queue
    SELECT id * 4 + 3 FROM actions WHERE incident_id = new.id;
END;

CREATE TRIGGER search_facet_component_ins AFTER INSERT
  ON incident_components BEGIN
  INSERT OR IGNORE INTO search_queue VALUES (new.incident_id * 4);
  INSERT OR IGNORE INTO search_queue
    SELECT id * 4 + 1 FROM postmortems WHERE incident_id = new.incident_id;
  INSERT OR IGNORE INTO search_queue
    SELECT id * 4 + 2 FROM events WHERE incident_id = new.incident_id
      AND kind IN ('note', 'change', 'status_update') AND deleted = 0;
  INSERT OR IGNORE INTO search_queue
    SELECT id * 4 + 3 FROM actions WHERE incident_id = new.incident_id;
END;
CREATE TRIGGER search_facet_component_del AFTER DELETE
  ON incident_components BEGIN
  INSERT OR IGNORE INTO search_queue VALUES (old.incident_id * 4);
  INSERT OR IGNORE INTO search_queue
    SELECT id * 4 + 1 FROM postmortems WHERE incident_id = old.incident_id;
  INSERT OR IGNORE INTO search_queue
    SELECT id * 4 + 2 FROM events WHERE incident_id = old.incident_id
      AND kind IN ('note', 'change', 'status_update') AND deleted = 0;
  INSERT OR IGNORE INTO search_queue
    SELECT id * 4 + 3 FROM actions WHERE incident_id = old.incident_id;
END;
CREATE TRIGGER search_facet_component_upd AFTER UPDATE
  ON incident_components BEGIN
  INSERT OR IGNORE INTO search_queue VALUES (old.incident_id * 4);
  INSERT OR IGNORE INTO search_queue VALUES (new.incident_id * 4);
  INSERT OR IGNORE INTO search_queue
    SELECT id * 4 + 1 FROM postmortems
      WHERE incident_id IN (old.incident_id, new.incident_id);
  INSERT OR IGNORE INTO search_queue
    SELECT id * 4 + 2 FROM events
      WHERE incident_id IN (old.incident_id, new.incident_id)
      AND kind IN ('note', 'change', 'status_update') AND deleted = 0;
  INSERT OR IGNORE INTO search_queue
    SELECT id * 4 + 3 FROM actions
      WHERE incident_id IN (old.incident_id, new.incident_id);
END;

-- A postmortem's category and tags are facets of the whole incident.
CREATE TRIGGER search_facet_postmortem_ins AFTER INSERT ON postmortems BEGIN
  INSERT OR IGNORE INTO search_queue VALUES (new.incident_id * 4);
  INSERT OR IGNORE INTO search_queue
    SELECT id * 4 + 2 FROM events WHERE incident_id = new.incident_id
      AND kind IN ('note', 'change', 'status_update') AND deleted = 0;
  INSERT OR IGNORE INTO search_queue
    SELECT id * 4 + 3 FROM actions WHERE incident_id = new.incident_id;
END;
CREATE TRIGGER search_facet_postmortem_upd AFTER UPDATE ON postmortems
  WHEN old.root_cause_category IS NOT new.root_cause_category
    OR old.tags IS NOT new.tags
    OR old.incident_id IS NOT new.incident_id BEGIN
  INSERT OR IGNORE INTO search_queue VALUES (new.id * 4 + 1);
  INSERT OR IGNORE INTO search_queue VALUES (old.incident_id * 4);
  INSERT OR IGNORE INTO search_queue VALUES (new.incident_id * 4);
  INSERT OR IGNORE INTO search_queue
    SELECT id * 4 + 2 FROM events
      WHERE incident_id IN (old.incident_id, new.incident_id)
      AND kind IN ('note', 'change', 'status_update') AND deleted = 0;
  INSERT OR IGNORE INTO search_queue
    SELECT id * 4 + 3 FROM actions
      WHERE incident_id IN (old.incident_id, new.incident_id);
END;
CREATE TRIGGER search_facet_postmortem_del AFTER DELETE ON postmortems BEGIN
  INSERT OR IGNORE INTO search_queue VALUES (old.incident_id * 4);
  INSERT OR IGNORE INTO search_queue
    SELECT id * 4 + 2 FROM events WHERE incident_id = old.incident_id
      AND kind IN ('note', 'change', 'status_update') AND deleted = 0;
  INSERT OR IGNORE INTO search_queue
    SELECT id * 4 + 3 FROM actions WHERE incident_id = old.incident_id;
END;

-- A note or action item moved to another incident takes its facets along.
CREATE TRIGGER search_facet_event_move AFTER UPDATE OF incident_id ON events
  WHEN old.incident_id IS NOT new.incident_id
    AND new.kind IN ('note', 'change', 'status_update') BEGIN
  INSERT OR IGNORE INTO search_queue VALUES (new.id * 4 + 2);
END;
CREATE TRIGGER search_facet_action_move AFTER UPDATE OF incident_id
  ON actions WHEN old.incident_id IS NOT new.incident_id BEGIN
  INSERT OR IGNORE INTO search_queue VALUES (new.id * 4 + 3);
END;

-- Everything is indexed again (with facets and vocabulary) by the next
-- search_flush().
INSERT OR IGNORE INTO search_queue SELECT id * 4 FROM incidents;
INSERT OR IGNORE INTO search_queue SELECT id * 4 + 1 FROM postmortems;
INSERT OR IGNORE INTO search_queue SELECT id * 4 + 2 FROM events
  WHERE kind IN ('note', 'change', 'status_update') AND deleted = 0;
INSERT OR IGNORE INTO search_queue SELECT id * 4 + 3 FROM actions;
