-- Per-user opt-in per channel kind and topic, with optional quiet hours (UTC).
CREATE TABLE IF NOT EXISTS user_preferences (
    user_id       BIGINT NOT NULL,
    channel_kind  ENUM('email','sms','push','webhook') NOT NULL,
    topic         VARCHAR(64) NOT NULL,
    enabled       BOOLEAN NOT NULL DEFAULT TRUE,
    quiet_start   TIME NULL,
    quiet_end     TIME NULL,
    updated_at    DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    PRIMARY KEY (user_id, channel_kind, topic)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
