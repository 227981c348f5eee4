ALTER TABLE schedule_slots DROP COLUMN IF EXISTS locked;
