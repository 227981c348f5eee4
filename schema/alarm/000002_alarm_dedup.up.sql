-- An open alarm carries a dedup key (unique while set; cleared alarms set it
-- to NULL), so raising the same condition again refreshes the open alarm.
ALTER TABLE alarms
    ADD COLUMN IF NOT EXISTS dedup_key VARCHAR(191) NULL AFTER code,
    ADD COLUMN IF NOT EXISTS occurrences INT NOT NULL DEFAULT 1 AFTER message,
    ADD COLUMN IF NOT EXISTS last_seen_at DATETIME(6) NULL AFTER raised_at;

CREATE UNIQUE INDEX IF NOT EXISTS uq_alarms_dedup_key ON alarms (dedup_key);
