-- name: RecordPayment :execlastid
-- RecordPayment stores a payment against an invoice and returns its id.
INSERT INTO payments (invoice_id, amount, method, external_ref, paid_at)
VALUES (sqlc.arg(invoice_id), sqlc.arg(amount), sqlc.arg(method), sqlc.arg(external_ref), sqlc.arg(paid_at));

-- name: GetInvoiceBalance :one
-- GetInvoiceBalance returns an invoice's total, the sum of its payments and what remains open.
SELECT i.id, i.status, i.total,
    CAST(COALESCE(SUM(p.amount), 0) AS DECIMAL(14,2)) AS paid,
    CAST(i.total - COALESCE(SUM(p.amount), 0) AS DECIMAL(14,2)) AS open_amount,
    CAST(COUNT(p.id) AS SIGNED) AS payment_count
FROM invoices i
LEFT JOIN payments p ON p.invoice_id = i.id
WHERE i.id = sqlc.arg(invoice_id)
GROUP BY i.id, i.status, i.total;
