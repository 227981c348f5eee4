DROP INDEX IF EXISTS uq_alarms_dedup_key ON alarms;

ALTER TABLE alarms
    DROP COLUMN IF EXISTS last_seen_at,
    DROP COLUMN IF EXISTS occurrences,
    DROP COLUMN IF EXISTS dedup_key;
