-- Accounts: organizations (customers), users, their memberships and the
-- organizations' API keys.

CREATE TABLE IF NOT EXISTS organizations (
    id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    slug        VARCHAR(64)  NOT NULL,
    name        VARCHAR(200) NOT NULL,
    plan        ENUM('free','pro','enterprise') NOT NULL DEFAULT 'free',
    settings    JSON         NOT NULL,
    created_at  DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    UNIQUE KEY uq_organizations_slug (slug),
    KEY idx_organizations_plan (plan, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS users (
    id             BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    email          VARCHAR(254) NOT NULL,
    full_name      VARCHAR(200) NOT NULL,
    status         ENUM('active','disabled') NOT NULL DEFAULT 'active',
    last_login_at  DATETIME(6)  NULL,
    created_at     DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    UNIQUE KEY uq_users_email (email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS memberships (
    org_id      BIGINT      NOT NULL,
    user_id     BIGINT      NOT NULL,
    role        ENUM('owner','admin','operator','viewer') NOT NULL,
    created_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (org_id, user_id),
    KEY idx_memberships_user (user_id),
    CONSTRAINT fk_memberships_org FOREIGN KEY (org_id) REFERENCES organizations (id) ON DELETE CASCADE,
    CONSTRAINT fk_memberships_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS api_keys (
    id            BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    org_id        BIGINT       NOT NULL,
    name          VARCHAR(100) NOT NULL,
    prefix        CHAR(8)      NOT NULL,
    secret_hash   CHAR(64)     NOT NULL,
    scopes        JSON         NOT NULL,
    created_by    BIGINT       NULL,
    created_at    DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    revoked_at    DATETIME(6)  NULL,
    UNIQUE KEY uq_api_keys_prefix (prefix),
    KEY idx_api_keys_org (org_id, id),
    CONSTRAINT fk_api_keys_org FOREIGN KEY (org_id) REFERENCES organizations (id) ON DELETE CASCADE,
    CONSTRAINT fk_api_keys_created_by FOREIGN KEY (created_by) REFERENCES users (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
