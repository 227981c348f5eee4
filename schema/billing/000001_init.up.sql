-- Billing accounts of organizations, their invoices with lines, and payments.
CREATE TABLE IF NOT EXISTS billing_accounts (
    id          BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    org_id      BIGINT NOT NULL,
    name        VARCHAR(200) NOT NULL,
    email       VARCHAR(254) NOT NULL,
    currency    CHAR(3) NOT NULL,
    address     JSON NOT NULL,
    status      ENUM('active','suspended','closed') NOT NULL DEFAULT 'active',
    created_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    KEY ix_billing_accounts_org (org_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS invoices (
    id            BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    account_id    BIGINT NOT NULL,
    number        VARCHAR(32) NOT NULL,
    period_start  DATE NOT NULL,
    period_end    DATE NOT NULL,
    status        ENUM('draft','issued','paid','void') NOT NULL DEFAULT 'draft',
    currency      CHAR(3) NOT NULL,
    subtotal      DECIMAL(14,2) NOT NULL DEFAULT 0,
    tax           DECIMAL(14,2) NOT NULL DEFAULT 0,
    total         DECIMAL(14,2) NOT NULL DEFAULT 0,
    issued_at     DATETIME(6) NULL,
    due_at        DATETIME(6) NULL,
    created_at    DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    UNIQUE KEY uq_invoices_number (number),
    KEY ix_invoices_account (account_id, id),
    CONSTRAINT fk_invoices_account FOREIGN KEY (account_id) REFERENCES billing_accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS invoice_lines (
    id           BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    invoice_id   BIGINT NOT NULL,
    line_no      INT NOT NULL,
    site_id      BIGINT NULL,
    description  VARCHAR(500) NOT NULL,
    quantity     DECIMAL(14,3) NOT NULL,
    unit         VARCHAR(16) NOT NULL,
    unit_price   DECIMAL(14,5) NOT NULL,
    amount       DECIMAL(14,2) NOT NULL,
    UNIQUE KEY uq_invoice_lines_no (invoice_id, line_no),
    KEY ix_invoice_lines_site (site_id),
    CONSTRAINT fk_invoice_lines_invoice FOREIGN KEY (invoice_id) REFERENCES invoices (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS payments (
    id            BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    invoice_id    BIGINT NOT NULL,
    amount        DECIMAL(14,2) NOT NULL,
    method        ENUM('card','sepa','transfer') NOT NULL,
    external_ref  VARCHAR(100) NOT NULL,
    paid_at       DATETIME(6) NOT NULL,
    created_at    DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    UNIQUE KEY uq_payments_external_ref (external_ref),
    KEY ix_payments_invoice (invoice_id),
    CONSTRAINT fk_payments_invoice FOREIGN KEY (invoice_id) REFERENCES invoices (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
