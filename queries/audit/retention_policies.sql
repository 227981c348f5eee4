-- name: UpsertRetentionPolicy :execrows
-- UpsertRetentionPolicy sets an organization's retention in days
-- (1 row affected when created, 2 when changed).
INSERT INTO retention_policies (org_id, retain_days)
VALUES (sqlc.arg(org_id), sqlc.arg(retain_days))
ON DUPLICATE KEY UPDATE retain_days = VALUES(retain_days);

-- name: GetRetentionPolicy :one
-- GetRetentionPolicy returns an organization's retention policy.
SELECT * FROM retention_policies WHERE org_id = sqlc.arg(org_id);

-- name: ListRetentionPolicies :many
-- ListRetentionPolicies pages through the retention policies by organization id (keyset), for the purge job.
SELECT * FROM retention_policies
WHERE org_id > sqlc.arg(after_org_id)
ORDER BY org_id
LIMIT ?;
