ALTER TABLE tariffs DROP COLUMN IF EXISTS standing_charge_per_day;
