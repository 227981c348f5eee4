-- name: CreateAPIKey :execlastid
-- CreateAPIKey stores a new API key of an organization (only the hash of its secret) and returns its id.
INSERT INTO api_keys (org_id, name, prefix, secret_hash, scopes, created_by, expires_at)
VALUES (?, ?, ?, ?, ?, ?, ?);

-- name: GetActiveAPIKeyByPrefix :one
-- GetActiveAPIKeyByPrefix returns the key with the given prefix unless it is revoked or expired at now.
SELECT id, org_id, name, secret_hash, scopes, expires_at
FROM api_keys
WHERE prefix = sqlc.arg(prefix)
  AND revoked_at IS NULL
  AND (expires_at IS NULL OR expires_at > CAST(sqlc.arg(now) AS DATETIME(6)));

-- name: RevokeAPIKey :execrows
-- RevokeAPIKey revokes an organization's key; 0 rows if it is not the organization's or already revoked.
UPDATE api_keys
SET revoked_at = CAST(sqlc.arg(revoked_at) AS DATETIME(6))
WHERE id = sqlc.arg(id) AND org_id = sqlc.arg(org_id) AND revoked_at IS NULL;
