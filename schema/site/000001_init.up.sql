-- Sites: the PV plants and buildings of an organization (account.organizations)
-- and the people to contact about each site.

CREATE TABLE IF NOT EXISTS sites (
    id             BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    org_id         BIGINT        NOT NULL,
    name           VARCHAR(200)  NOT NULL,
    kind           ENUM('residential','commercial','industrial','utility') NOT NULL,
    timezone       VARCHAR(64)   NOT NULL,
    latitude       DOUBLE        NOT NULL,
    longitude      DOUBLE        NOT NULL,
    capacity_kwp   DECIMAL(10,3) NOT NULL,
    commissioned_on DATE         NULL,
    created_at     DATETIME(6)   NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    KEY idx_sites_org (org_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS site_contacts (
    id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    site_id     BIGINT       NOT NULL,
    name        VARCHAR(200) NOT NULL,
    email       VARCHAR(254) NOT NULL,
    phone       VARCHAR(32)  NULL,
    role        ENUM('owner','installer','operator','billing') NOT NULL,
    is_primary  BOOLEAN      NOT NULL DEFAULT FALSE,
    created_at  DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    KEY idx_site_contacts_site (site_id, id),
    CONSTRAINT fk_site_contacts_site FOREIGN KEY (site_id) REFERENCES sites (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
