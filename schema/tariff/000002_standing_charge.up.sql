-- A fixed daily standing charge on every tariff.
ALTER TABLE tariffs
    ADD COLUMN IF NOT EXISTS standing_charge_per_day DECIMAL(10,4) NOT NULL DEFAULT 0 AFTER kind;
