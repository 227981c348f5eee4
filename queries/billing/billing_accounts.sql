-- name: CreateBillingAccount :execlastid
-- CreateBillingAccount adds a billing account for an organization and returns its id.
INSERT INTO billing_accounts (org_id, name, email, currency, address)
VALUES (sqlc.arg(org_id), sqlc.arg(name), sqlc.arg(email), sqlc.arg(currency), sqlc.arg(address));
