-- search_stems: the index gets stem tokens (server/search_tokenizer.c):
-- after a word whose light English stem differs from it ("rolled",
-- "balancers"), a colocated stem token, so a search for "rolling" finds
-- "rolled" through the index, ranked below the word as typed. Tokens,
-- positions and column sizes of the words are unchanged; search_terms now
-- also counts the stem tokens.
--
-- The index is rebuilt as in 009: the table is dropped, the vocabulary
-- emptied with it, and every document queued again for the background
-- indexer, which catches up in short batches while the server serves
-- (searches meanwhile say how many documents are pending).

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
