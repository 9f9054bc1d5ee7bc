-- 009_search_pairs: the index gets the hs_pairs tokenizer
-- (server/search_tokenizer.c): unicode61 as before, plus a colocated
-- token for each pair of adjacent words, so that a quoted phrase of common
-- words is found through its pairs' short doclist instead of the positions
-- of every document holding its words (BENCHMARKS.md). Tokens, positions
-- and column sizes of the words are unchanged, and so are ranking,
-- snippets and search_terms (which counts words only).
--
-- The index is rebuilt as in 008: the table is dropped, the vocabulary
-- emptied with it, and every document queued again for the indexer.
-- The sqlite3 shell reads the new table after `.load build/hs_fts`.

DROP TABLE search_index;
CREATE VIRTUAL TABLE search_index USING fts5(
  title,                       -- weight 10
  root_cause,                  -- weight 5: category, tags, factors, section
  body,                        -- weight 1
  facets,                      -- weight 0: filter tokens
  kind UNINDEXED,              -- incident, postmortem, event, action
  incident_id UNINDEXED,
  started_at UNINDEXED,        -- the incident's started_at (UTC ms)
  tokenize = 'hs_pairs remove_diacritics 2',
  prefix = '2 3'
);
INSERT INTO search_index (search_index, rank)
  VALUES ('rank', 'bm25(10.0, 5.0, 1.0, 0.0)');
DELETE FROM search_terms;

INSERT OR IGNORE INTO search_queue SELECT id * 4 FROM incidents;
INSERT OR IGNORE INTO search_queue SELECT id * 4 + 1 FROM postmortems;
INSERT OR IGNORE INTO search_queue SELECT id * 4 + 2 FROM events
  WHERE kind IN ('note', 'change', 'status_update') AND deleted = 0;
INSERT OR IGNORE INTO search_queue SELECT id * 4 + 3 FROM actions;
