DROP INDEX IF EXISTS uq_commands_device_idempotency ON commands;

ALTER TABLE commands DROP COLUMN IF EXISTS idempotency_key;
