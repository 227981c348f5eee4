-- Forecasts: a run is one issue of a model for a site (PV production or site
-- load); its values are stored per interval start.

CREATE TABLE IF NOT EXISTS forecast_runs (
    id                BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    site_id           BIGINT       NOT NULL,
    kind              ENUM('pv','load') NOT NULL,
    model             VARCHAR(100) NOT NULL,
    issued_at         DATETIME(6)  NOT NULL,
    horizon_start     DATETIME(6)  NOT NULL,
    horizon_end       DATETIME(6)  NOT NULL,
    interval_minutes  SMALLINT     NOT NULL DEFAULT 15,
    status            ENUM('running','complete','failed') NOT NULL DEFAULT 'running',
    params            JSON         NOT NULL,
    created_at        DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    KEY idx_runs_site_id (site_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS pv_forecasts (
    run_id          BIGINT        NOT NULL,
    interval_start  DATETIME(6)   NOT NULL,
    site_id         BIGINT        NOT NULL,
    energy_wh       DECIMAL(14,3) NOT NULL,
    p10_wh          DECIMAL(14,3) NULL,
    p90_wh          DECIMAL(14,3) NULL,
    PRIMARY KEY (run_id, interval_start),
    CONSTRAINT fk_pv_forecasts_run FOREIGN KEY (run_id) REFERENCES forecast_runs (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS load_forecasts (
    run_id          BIGINT        NOT NULL,
    interval_start  DATETIME(6)   NOT NULL,
    site_id         BIGINT        NOT NULL,
    energy_wh       DECIMAL(14,3) NOT NULL,
    PRIMARY KEY (run_id, interval_start),
    CONSTRAINT fk_load_forecasts_run FOREIGN KEY (run_id) REFERENCES forecast_runs (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
