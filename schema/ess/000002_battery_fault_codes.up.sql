-- The battery management system's active fault codes, part of the battery state.
ALTER TABLE battery_states
    ADD COLUMN IF NOT EXISTS fault_codes JSON NOT NULL DEFAULT '[]' AFTER capacity_wh;
