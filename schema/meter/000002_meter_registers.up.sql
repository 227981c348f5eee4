-- Raw register values (by OBIS code) read from each meter, latest value per register.
CREATE TABLE IF NOT EXISTS meter_registers (
    device_id   BIGINT        NOT NULL,
    obis_code   VARCHAR(32)   NOT NULL,
    value       DECIMAL(18,4) NOT NULL,
    unit        VARCHAR(16)   NOT NULL,
    read_at     DATETIME(6)   NOT NULL,
    PRIMARY KEY (device_id, obis_code),
    CONSTRAINT fk_meter_registers_profile FOREIGN KEY (device_id) REFERENCES meter_profiles (device_id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
