-- ESS: battery telemetry (one row per device.devices id and timestamp), the
-- current state of each battery and its daily charge cycles.

CREATE TABLE IF NOT EXISTS battery_readings (
    device_id      BIGINT        NOT NULL,
    ts             DATETIME(6)   NOT NULL,
    site_id        BIGINT        NOT NULL,
    soc_pct        DOUBLE        NOT NULL,
    power_w        DECIMAL(12,1) NOT NULL COMMENT 'positive: discharging, negative: charging',
    temperature_c  DOUBLE        NOT NULL,
    energy_in_wh   DECIMAL(16,3) NOT NULL COMMENT 'lifetime charge counter',
    energy_out_wh  DECIMAL(16,3) NOT NULL COMMENT 'lifetime discharge counter',
    PRIMARY KEY (device_id, ts),
    KEY idx_battery_readings_ts (ts)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS battery_states (
    device_id       BIGINT        NOT NULL PRIMARY KEY,
    site_id         BIGINT        NOT NULL,
    mode            ENUM('idle','charging','discharging','standby','fault') NOT NULL,
    soc_pct         DOUBLE        NOT NULL,
    soh_pct         DOUBLE        NOT NULL,
    capacity_wh     DECIMAL(12,1) NOT NULL,
    updated_at      DATETIME(6)   NOT NULL,
    KEY idx_battery_states_site (site_id, device_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS daily_cycles (
    device_id      BIGINT        NOT NULL,
    day            DATE          NOT NULL,
    cycles         DECIMAL(8,3)  NOT NULL,
    energy_in_wh   DECIMAL(14,3) NOT NULL,
    energy_out_wh  DECIMAL(14,3) NOT NULL,
    min_soc_pct    DOUBLE        NOT NULL,
    max_soc_pct    DOUBLE        NOT NULL,
    PRIMARY KEY (device_id, day),
    CONSTRAINT fk_daily_cycles_battery FOREIGN KEY (device_id) REFERENCES battery_states (device_id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
