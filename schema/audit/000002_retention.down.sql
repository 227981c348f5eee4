DROP INDEX IF EXISTS ix_audit_events_request ON audit_events;

ALTER TABLE audit_events
    DROP COLUMN IF EXISTS request_id;

DROP TABLE IF EXISTS retention_policies;
