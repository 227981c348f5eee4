-- Tariffs of an organization, their time-of-use price periods, and which
-- tariff applies to a site's import or export over time.

CREATE TABLE IF NOT EXISTS tariffs (
    id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    org_id      BIGINT       NOT NULL,
    name        VARCHAR(200) NOT NULL,
    currency    CHAR(3)      NOT NULL,
    kind        ENUM('fixed','tou','dynamic') NOT NULL,
    created_at  DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    UNIQUE KEY uq_tariffs_org_name (org_id, name),
    KEY idx_tariffs_org_id (org_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS tariff_periods (
    id             BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tariff_id      BIGINT        NOT NULL,
    direction      ENUM('import','export') NOT NULL,
    day_type       ENUM('all','weekday','weekend') NOT NULL DEFAULT 'all',
    start_time     TIME          NOT NULL,
    end_time       TIME          NOT NULL,
    price_per_kwh  DECIMAL(12,6) NOT NULL,
    KEY idx_periods_tariff (tariff_id, direction, start_time),
    CONSTRAINT fk_periods_tariff FOREIGN KEY (tariff_id) REFERENCES tariffs (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS site_tariffs (
    id          BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    site_id     BIGINT      NOT NULL,
    tariff_id   BIGINT      NOT NULL,
    direction   ENUM('import','export') NOT NULL,
    valid_from  DATETIME(6) NOT NULL,
    valid_to    DATETIME(6) NULL,
    created_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    UNIQUE KEY uq_site_tariffs_site_dir_from (site_id, direction, valid_from),
    KEY idx_site_tariffs_tariff (tariff_id),
    CONSTRAINT fk_site_tariffs_tariff FOREIGN KEY (tariff_id) REFERENCES tariffs (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
