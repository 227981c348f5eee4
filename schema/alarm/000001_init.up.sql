-- Alarm rules per organization and the alarms raised per site or device.
CREATE TABLE IF NOT EXISTS alarm_rules (
    id          BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    org_id      BIGINT NOT NULL,
    name        VARCHAR(200) NOT NULL,
    metric      VARCHAR(64) NOT NULL,
    comparator  ENUM('gt','gte','lt','lte','eq') NOT NULL,
    threshold   DECIMAL(14,3) NOT NULL,
    severity    ENUM('info','warning','major','critical') NOT NULL,
    enabled     BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    KEY ix_alarm_rules_org (org_id, enabled, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS alarms (
    id               BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    rule_id          BIGINT NULL,
    org_id           BIGINT NOT NULL,
    site_id          BIGINT NOT NULL,
    device_id        BIGINT NULL,
    code             VARCHAR(64) NOT NULL,
    severity         ENUM('info','warning','major','critical') NOT NULL,
    state            ENUM('active','acknowledged','cleared') NOT NULL DEFAULT 'active',
    message          VARCHAR(500) NOT NULL,
    details          JSON NOT NULL,
    raised_at        DATETIME(6) NOT NULL,
    acknowledged_at  DATETIME(6) NULL,
    acknowledged_by  BIGINT NULL,
    cleared_at       DATETIME(6) NULL,
    created_at       DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    KEY ix_alarms_site (site_id, id),
    KEY ix_alarms_device (device_id, raised_at),
    KEY ix_alarms_state_cleared (state, cleared_at),
    CONSTRAINT fk_alarms_rule FOREIGN KEY (rule_id) REFERENCES alarm_rules (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
