ALTER TABLE battery_states DROP COLUMN IF EXISTS fault_codes;
