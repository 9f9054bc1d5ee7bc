-- The incident page (issue 18). The incident's roles besides the commander, each a user's name ('' when
-- nobody holds it). Changes to them are timeline events written by incident.c.
ALTER TABLE incidents ADD COLUMN comms_lead TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN ops_lead TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN scribe TEXT NOT NULL DEFAULT '';

-- Postmortem autosaves coalesce into the newest revision while it is an
-- autosave by the same author a few minutes old; a Save or a status change
-- makes a revision of its own (autosave = 0).
ALTER TABLE postmortem_revisions ADD COLUMN autosave INTEGER NOT NULL DEFAULT 0;
