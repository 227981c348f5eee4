ALTER TABLE observations DROP COLUMN IF EXISTS precipitation_mm;
