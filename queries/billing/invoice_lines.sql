-- name: UpsertInvoiceLine :execrows
-- UpsertInvoiceLine writes line line_no of an invoice, replacing it if present
-- (1 row affected for a new line, 2 for a replaced one).
INSERT INTO invoice_lines (invoice_id, line_no, site_id, description, quantity, unit, unit_price, amount)
VALUES (sqlc.arg(invoice_id), sqlc.arg(line_no), sqlc.narg(site_id), sqlc.arg(description), sqlc.arg(quantity),
        sqlc.arg(unit), sqlc.arg(unit_price), sqlc.arg(amount))
ON DUPLICATE KEY UPDATE
    site_id = VALUES(site_id),
    description = VALUES(description),
    quantity = VALUES(quantity),
    unit = VALUES(unit),
    unit_price = VALUES(unit_price),
    amount = VALUES(amount);

-- name: ListInvoiceLines :many
-- ListInvoiceLines returns an invoice's lines in line order.
SELECT * FROM invoice_lines
WHERE invoice_id = sqlc.arg(invoice_id)
ORDER BY line_no
LIMIT ?;
