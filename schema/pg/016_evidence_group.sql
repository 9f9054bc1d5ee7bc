-- 016_evidence_group (PostgreSQL): as schema/016_evidence_group.sql.
CREATE INDEX evidence_group ON evidence (grp, ts) WHERE grp <> 0;
