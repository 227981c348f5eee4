-- A slot locked by an operator is not overwritten by the optimizer's upserts.
ALTER TABLE schedule_slots
    ADD COLUMN IF NOT EXISTS locked BOOLEAN NOT NULL DEFAULT FALSE AFTER target_soc_pct;
