DROP INDEX IF EXISTS ix_invoices_status_due ON invoices;

ALTER TABLE invoices
    DROP COLUMN IF EXISTS paid_at;
