-- History of the firmware versions installed on each device.
CREATE TABLE IF NOT EXISTS firmware_updates (
    id             BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    device_id      BIGINT      NOT NULL,
    from_version   VARCHAR(32) NOT NULL,
    to_version     VARCHAR(32) NOT NULL,
    installed_at   DATETIME(6) NOT NULL,
    details        JSON        NOT NULL,
    KEY idx_firmware_updates_device (device_id, installed_at),
    CONSTRAINT fk_firmware_updates_device FOREIGN KEY (device_id) REFERENCES devices (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
