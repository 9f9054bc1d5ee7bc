-- The incident's roles besides the commander, each a user's name ('' when
-- nobody holds it). Changes to them are timeline events written by incident.c.
ALTER TABLE incidents ADD COLUMN comms_lead TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN ops_lead TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN scribe TEXT NOT NULL DEFAULT '';
