-- Weather: stations (on-site sensors or a provider's grid point) per site, and
-- their observations, keyed (station_id, ts) for per-station time-range reads.

CREATE TABLE IF NOT EXISTS stations (
    id           BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    site_id      BIGINT       NOT NULL,
    name         VARCHAR(200) NOT NULL,
    provider     ENUM('onsite','openmeteo','dwd','meteomatics') NOT NULL,
    latitude     DOUBLE       NOT NULL,
    longitude    DOUBLE       NOT NULL,
    elevation_m  DOUBLE       NULL,
    active       BOOLEAN      NOT NULL DEFAULT FALSE,
    created_at   DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    UNIQUE KEY uq_stations_site_name (site_id, name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS observations (
    station_id       BIGINT      NOT NULL,
    ts               DATETIME(6) NOT NULL,
    site_id          BIGINT      NOT NULL,
    temperature_c    DOUBLE      NOT NULL,
    ghi_w_m2         DOUBLE      NOT NULL,
    cloud_cover_pct  DOUBLE      NULL,
    wind_speed_m_s   DOUBLE      NULL,
    PRIMARY KEY (station_id, ts),
    KEY idx_observations_site_ts (site_id, ts),
    CONSTRAINT fk_observations_station FOREIGN KEY (station_id) REFERENCES stations (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
