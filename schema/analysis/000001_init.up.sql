-- Daily KPIs per site and the jobs that compute them.
CREATE TABLE IF NOT EXISTS site_daily_kpis (
    site_id               BIGINT NOT NULL,
    day                   DATE NOT NULL,
    org_id                BIGINT NOT NULL,
    pv_energy_kwh         DECIMAL(14,3) NOT NULL,
    load_energy_kwh       DECIMAL(14,3) NOT NULL,
    grid_import_kwh       DECIMAL(14,3) NOT NULL,
    grid_export_kwh       DECIMAL(14,3) NOT NULL,
    performance_ratio     DOUBLE NULL,
    self_consumption_pct  DOUBLE NOT NULL,
    autarky_pct           DOUBLE NOT NULL,
    computed_at           DATETIME(6) NOT NULL,
    PRIMARY KEY (site_id, day)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS rollup_jobs (
    id             BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    kind           ENUM('daily','monthly','backfill') NOT NULL,
    site_id        BIGINT NULL,
    period_start   DATE NOT NULL,
    period_end     DATE NOT NULL,
    params         JSON NOT NULL,
    status         ENUM('pending','running','succeeded','failed') NOT NULL DEFAULT 'pending',
    attempts       INT NOT NULL DEFAULT 0,
    error_message  TEXT NULL,
    created_at     DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    started_at     DATETIME(6) NULL,
    finished_at    DATETIME(6) NULL,
    KEY ix_rollup_jobs_status (status, id),
    KEY ix_rollup_jobs_site (site_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
