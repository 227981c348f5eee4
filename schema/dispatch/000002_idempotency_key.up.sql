-- A caller-chosen key that makes enqueueing the same command for a device idempotent.
ALTER TABLE commands
    ADD COLUMN IF NOT EXISTS idempotency_key VARCHAR(64) NULL AFTER requested_by;

CREATE UNIQUE INDEX IF NOT EXISTS uq_commands_device_idempotency ON commands (device_id, idempotency_key);
