-- Dispatch: commands sent to devices, each delivery attempt, and the device's
-- final result.

CREATE TABLE IF NOT EXISTS commands (
    id            BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    site_id       BIGINT       NOT NULL,
    device_id     BIGINT       NOT NULL,
    command       VARCHAR(64)  NOT NULL,
    payload       JSON         NOT NULL,
    priority      SMALLINT     NOT NULL DEFAULT 0,
    status        ENUM('queued','sent','acked','failed') NOT NULL DEFAULT 'queued',
    requested_by  BIGINT       NULL,
    created_at    DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    expires_at    DATETIME(6)  NULL,
    sent_at       DATETIME(6)  NULL,
    acked_at      DATETIME(6)  NULL,
    KEY idx_commands_device_status (device_id, status, priority, id),
    KEY idx_commands_site_id (site_id, id),
    KEY idx_commands_status_expires (status, expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS command_attempts (
    id          BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    command_id  BIGINT        NOT NULL,
    attempt_no  INT           NOT NULL,
    sent_at     DATETIME(6)   NOT NULL,
    outcome     ENUM('ok','timeout','rejected','error') NOT NULL,
    error       VARCHAR(1000) NULL,
    UNIQUE KEY uq_attempts_command_no (command_id, attempt_no),
    CONSTRAINT fk_attempts_command FOREIGN KEY (command_id) REFERENCES commands (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS command_results (
    command_id   BIGINT      NOT NULL PRIMARY KEY,
    received_at  DATETIME(6) NOT NULL,
    success      BOOLEAN     NOT NULL DEFAULT FALSE,
    result       JSON        NOT NULL,
    CONSTRAINT fk_results_command FOREIGN KEY (command_id) REFERENCES commands (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
