-- Notification channels, the outbox of messages to deliver, and delivery attempts.
CREATE TABLE IF NOT EXISTS channels (
    id          BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    org_id      BIGINT NOT NULL,
    kind        ENUM('email','sms','push','webhook') NOT NULL,
    name        VARCHAR(200) NOT NULL,
    config      JSON NOT NULL,
    enabled     BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    KEY ix_channels_org (org_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS outbox_messages (
    id               BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    org_id           BIGINT NOT NULL,
    user_id          BIGINT NULL,
    channel_id       BIGINT NOT NULL,
    topic            VARCHAR(64) NOT NULL,
    subject          VARCHAR(300) NOT NULL,
    body             TEXT NOT NULL,
    payload          JSON NOT NULL,
    status           ENUM('pending','sending','sent','failed') NOT NULL DEFAULT 'pending',
    attempts         INT NOT NULL DEFAULT 0,
    next_attempt_at  DATETIME(6) NOT NULL,
    created_at       DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    sent_at          DATETIME(6) NULL,
    KEY ix_outbox_messages_due (status, next_attempt_at),
    KEY ix_outbox_messages_user (user_id),
    CONSTRAINT fk_outbox_messages_channel FOREIGN KEY (channel_id) REFERENCES channels (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS delivery_attempts (
    id             BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    message_id     BIGINT NOT NULL,
    attempted_at   DATETIME(6) NOT NULL,
    success        BOOLEAN NOT NULL DEFAULT FALSE,
    response_code  INT NULL,
    error          VARCHAR(500) NULL,
    KEY ix_delivery_attempts_message (message_id, attempted_at),
    CONSTRAINT fk_delivery_attempts_message FOREIGN KEY (message_id) REFERENCES outbox_messages (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
