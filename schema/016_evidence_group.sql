-- 016_evidence_group: an error burst goes on across pushes (ingest_store.c
-- condense_errors): a push looks up its message group's latest item.
CREATE INDEX evidence_group ON evidence (grp, ts) WHERE grp <> 0;
