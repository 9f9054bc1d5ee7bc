-- The components a maintenance status change moved, as incident updates
-- record theirs (incident_update_components): the public API lists them as
-- the update's affected_components.
CREATE TABLE maintenance_update_components (
  update_id INTEGER NOT NULL REFERENCES maintenance_updates (id)
    ON DELETE CASCADE,
  component_id INTEGER NOT NULL REFERENCES components (id) ON DELETE CASCADE,
  old_status TEXT NOT NULL,
  new_status TEXT NOT NULL,
  PRIMARY KEY (update_id, component_id)
);
