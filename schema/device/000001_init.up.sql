-- Devices: the registry of every inverter, battery, meter and EV charger,
-- per site (site.sites). Telemetry databases key their rows by devices.id.

CREATE TABLE IF NOT EXISTS devices (
    id            BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    site_id       BIGINT       NOT NULL,
    kind          ENUM('inverter','battery','meter','evcharger') NOT NULL,
    vendor        VARCHAR(64)  NOT NULL,
    serial        VARCHAR(64)  NOT NULL,
    model         VARCHAR(100) NOT NULL,
    firmware      VARCHAR(32)  NOT NULL DEFAULT '',
    status        ENUM('provisioning','online','offline','fault','decommissioned') NOT NULL DEFAULT 'provisioning',
    last_seen_at  DATETIME(6)  NULL,
    created_at    DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    UNIQUE KEY uq_devices_vendor_serial (vendor, serial),
    KEY idx_devices_site (site_id, id),
    KEY idx_devices_status_seen (status, last_seen_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
