-- Charge/discharge schedules for battery (ESS) devices: a plan groups the
-- slots an optimizer (or a user) produced; slots are keyed per device and slot start.

CREATE TABLE IF NOT EXISTS schedule_plans (
    id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    site_id     BIGINT       NOT NULL,
    name        VARCHAR(200) NOT NULL,
    status      ENUM('draft','active','archived') NOT NULL DEFAULT 'draft',
    valid_from  DATETIME(6)  NOT NULL,
    valid_to    DATETIME(6)  NOT NULL,
    created_by  BIGINT       NULL,
    created_at  DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    KEY idx_plans_site_id (site_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS schedule_slots (
    device_id       BIGINT        NOT NULL,
    slot_start      DATETIME(6)   NOT NULL,
    plan_id         BIGINT        NOT NULL,
    site_id         BIGINT        NOT NULL,
    slot_minutes    SMALLINT      NOT NULL DEFAULT 15,
    mode            ENUM('charge','discharge','idle','hold') NOT NULL,
    power_w         DECIMAL(10,1) NOT NULL,
    target_soc_pct  DOUBLE        NULL,
    updated_at      DATETIME(6)   NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (device_id, slot_start),
    KEY idx_slots_plan (plan_id, slot_start),
    CONSTRAINT fk_slots_plan FOREIGN KEY (plan_id) REFERENCES schedule_plans (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
