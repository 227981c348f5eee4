-- When an invoice was settled, and an index for the overdue-invoice sweep.
ALTER TABLE invoices
    ADD COLUMN IF NOT EXISTS paid_at DATETIME(6) NULL;

CREATE INDEX IF NOT EXISTS ix_invoices_status_due ON invoices (status, due_at);
