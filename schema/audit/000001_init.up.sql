-- Append-only audit trail: who did what to which entity.
CREATE TABLE IF NOT EXISTS audit_events (
    id           BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    org_id       BIGINT NOT NULL,
    actor_type   ENUM('user','apikey','system') NOT NULL,
    actor_id     BIGINT NULL,
    action       VARCHAR(64) NOT NULL,
    entity_type  VARCHAR(64) NOT NULL,
    entity_id    VARCHAR(64) NOT NULL,
    details      JSON NOT NULL,
    ip           VARCHAR(45) NULL,
    occurred_at  DATETIME(6) NOT NULL,
    created_at   DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    KEY ix_audit_events_org_time (org_id, occurred_at),
    KEY ix_audit_events_entity (entity_type, entity_id, occurred_at),
    KEY ix_audit_events_actor (actor_id, occurred_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
