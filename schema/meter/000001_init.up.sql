-- Meter: the profile of each grid/sub meter (device.devices id) and its
-- readings (one row per device and timestamp).

CREATE TABLE IF NOT EXISTS meter_profiles (
    device_id    BIGINT        NOT NULL PRIMARY KEY,
    site_id      BIGINT        NOT NULL,
    position     ENUM('grid','pv','load','battery','evcharger') NOT NULL,
    phases       TINYINT       NOT NULL,
    ct_ratio     DECIMAL(8,2)  NOT NULL DEFAULT 1.00,
    config       JSON          NOT NULL,
    updated_at   DATETIME(6)   NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    KEY idx_meter_profiles_site (site_id, position)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS meter_readings (
    device_id         BIGINT        NOT NULL,
    ts                DATETIME(6)   NOT NULL,
    import_energy_wh  DECIMAL(16,3) NOT NULL COMMENT 'lifetime import counter',
    export_energy_wh  DECIMAL(16,3) NOT NULL COMMENT 'lifetime export counter',
    power_w           DECIMAL(12,1) NOT NULL COMMENT 'positive: import, negative: export',
    voltage_v         DOUBLE        NULL,
    PRIMARY KEY (device_id, ts),
    KEY idx_meter_readings_ts (ts)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
