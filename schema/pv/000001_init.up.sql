-- PV: inverter telemetry (one row per device.devices id and timestamp) and
-- the daily yield of each inverter.

CREATE TABLE IF NOT EXISTS inverter_readings (
    device_id      BIGINT        NOT NULL,
    ts             DATETIME(6)   NOT NULL,
    site_id        BIGINT        NOT NULL,
    ac_power_w     DECIMAL(12,1) NOT NULL,
    dc_power_w     DECIMAL(12,1) NOT NULL,
    energy_wh      DECIMAL(16,3) NOT NULL COMMENT 'lifetime AC energy counter',
    ac_voltage_v   DOUBLE        NOT NULL,
    dc_voltage_v   DOUBLE        NOT NULL,
    temperature_c  DOUBLE        NULL,
    PRIMARY KEY (device_id, ts),
    KEY idx_inverter_readings_site_ts (site_id, ts),
    KEY idx_inverter_readings_ts (ts)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS daily_yields (
    device_id     BIGINT        NOT NULL,
    day           DATE          NOT NULL,
    site_id       BIGINT        NOT NULL,
    energy_wh     DECIMAL(14,3) NOT NULL,
    peak_power_w  DECIMAL(12,1) NOT NULL,
    samples       INT           NOT NULL,
    updated_at    DATETIME(6)   NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    PRIMARY KEY (device_id, day)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
