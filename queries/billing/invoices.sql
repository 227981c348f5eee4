-- name: CreateInvoice :execlastid
-- CreateInvoice opens a draft invoice for a billing period and returns its id.
INSERT INTO invoices (account_id, number, period_start, period_end, currency)
VALUES (sqlc.arg(account_id), sqlc.arg(number), sqlc.arg(period_start), sqlc.arg(period_end), sqlc.arg(currency));

-- name: RecalculateInvoiceTotals :exec
-- RecalculateInvoiceTotals sets a draft invoice's subtotal from its lines and total = subtotal + tax.
UPDATE invoices
SET subtotal = (SELECT CAST(COALESCE(SUM(l.amount), 0) AS DECIMAL(14,2)) FROM invoice_lines l WHERE l.invoice_id = invoices.id),
    tax = sqlc.arg(tax),
    total = subtotal + tax
WHERE invoices.id = sqlc.arg(id) AND invoices.status = 'draft';

-- name: IssueInvoice :execrows
-- IssueInvoice issues a draft invoice with its due date; 0 rows if it is not a draft.
UPDATE invoices
SET status = 'issued', issued_at = CAST(sqlc.arg(issued_at) AS DATETIME(6)), due_at = CAST(sqlc.arg(due_at) AS DATETIME(6))
WHERE invoices.id = sqlc.arg(id) AND invoices.status = 'draft';

-- name: MarkInvoicePaid :execrows
-- MarkInvoicePaid settles an issued invoice; 0 rows if it is not issued.
UPDATE invoices
SET status = 'paid', paid_at = CAST(sqlc.arg(paid_at) AS DATETIME(6))
WHERE id = sqlc.arg(id) AND status = 'issued';

-- name: ListAccountInvoices :many
-- ListAccountInvoices pages through an account's invoices by id, optionally filtered by status.
SELECT * FROM invoices
WHERE account_id = sqlc.arg(account_id)
  AND (sqlc.narg(status) IS NULL OR status = sqlc.narg(status))
  AND id > sqlc.arg(after_id)
ORDER BY id
LIMIT ?;

-- name: ListOverdueInvoices :many
-- ListOverdueInvoices returns issued invoices due before now, oldest due date first.
SELECT * FROM invoices
WHERE status = 'issued' AND due_at < CAST(sqlc.arg(now) AS DATETIME(6))
ORDER BY due_at, id
LIMIT ?;
