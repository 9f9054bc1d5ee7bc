-- 018_search_inline (PostgreSQL): each search_index row keeps its
-- tsvectors in the row itself. A postmortem's tsv (about 1.4 KB) pushed
-- its row past TOAST's 2 KB target and went out of line, so ranking the
-- newest 1,001 matches read every match's tsv from the TOAST table once
-- for @@ and once per query term for ts_rank. With STORAGE MAIN the body
-- text goes out of line first and the tsv stays in the row: the ranking
-- statement reads a tenth of the pages (BENCHMARKS.md, "The knowledge
-- base on PostgreSQL"). Nothing about the schema's meaning changes.
ALTER TABLE search_index ALTER COLUMN tsv SET STORAGE MAIN;
ALTER TABLE search_index ALTER COLUMN facet_tsv SET STORAGE MAIN;
-- Rows already stored keep their old layout until rewritten: queue every
-- indexed document for the background indexer, which rewrites them in
-- short batches while searches keep answering from the index as it is.
INSERT INTO search_queue SELECT rowid FROM search_index
  ON CONFLICT DO NOTHING;
