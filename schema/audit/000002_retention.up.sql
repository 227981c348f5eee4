-- Per-organization retention, and the request id that groups the events of one API call.
CREATE TABLE IF NOT EXISTS retention_policies (
    org_id       BIGINT NOT NULL PRIMARY KEY,
    retain_days  INT NOT NULL,
    updated_at   DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

ALTER TABLE audit_events
    ADD COLUMN IF NOT EXISTS request_id VARCHAR(64) NULL;

CREATE INDEX IF NOT EXISTS ix_audit_events_request ON audit_events (request_id);
