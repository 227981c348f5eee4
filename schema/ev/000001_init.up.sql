-- EV charging: chargers (one per device.devices row of kind evcharger), their
-- connectors, charging sessions and the meter values reported during a session.

CREATE TABLE IF NOT EXISTS chargers (
    id            BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    site_id       BIGINT       NOT NULL,
    device_id     BIGINT       NOT NULL,
    name          VARCHAR(200) NOT NULL,
    max_power_kw  DECIMAL(8,2) NOT NULL,
    status        ENUM('available','charging','faulted','offline') NOT NULL DEFAULT 'offline',
    created_at    DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    UNIQUE KEY uq_chargers_device (device_id),
    KEY idx_chargers_site (site_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS connectors (
    id            BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    charger_id    BIGINT       NOT NULL,
    connector_no  INT          NOT NULL,
    plug          ENUM('type1','type2','ccs1','ccs2','chademo') NOT NULL,
    max_power_kw  DECIMAL(8,2) NOT NULL,
    updated_at    DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    UNIQUE KEY uq_connectors_charger_no (charger_id, connector_no),
    CONSTRAINT fk_connectors_charger FOREIGN KEY (charger_id) REFERENCES chargers (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS charging_sessions (
    id              BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    charger_id      BIGINT        NOT NULL,
    connector_id    BIGINT        NOT NULL,
    user_id         BIGINT        NULL,
    id_tag          VARCHAR(64)   NOT NULL,
    started_at      DATETIME(6)   NOT NULL,
    stopped_at      DATETIME(6)   NULL,
    meter_start_wh  DECIMAL(14,3) NOT NULL,
    meter_stop_wh   DECIMAL(14,3) NULL,
    energy_wh       DECIMAL(14,3) NULL,
    created_at      DATETIME(6)   NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    KEY idx_sessions_charger_started (charger_id, started_at),
    KEY idx_sessions_connector_stopped (connector_id, stopped_at),
    CONSTRAINT fk_sessions_charger FOREIGN KEY (charger_id) REFERENCES chargers (id),
    CONSTRAINT fk_sessions_connector FOREIGN KEY (connector_id) REFERENCES connectors (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS session_meter_values (
    session_id  BIGINT        NOT NULL,
    ts          DATETIME(6)   NOT NULL,
    energy_wh   DECIMAL(14,3) NOT NULL,
    power_w     DECIMAL(10,1) NOT NULL,
    soc_pct     DOUBLE        NULL,
    PRIMARY KEY (session_id, ts),
    CONSTRAINT fk_meter_values_session FOREIGN KEY (session_id) REFERENCES charging_sessions (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
