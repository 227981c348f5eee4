-- name: CreateChannel :execlastid
-- CreateChannel adds a delivery channel for an organization and returns its id.
INSERT INTO channels (org_id, kind, name, config, enabled)
VALUES (sqlc.arg(org_id), sqlc.arg(kind), sqlc.arg(name), sqlc.arg(config), sqlc.arg(enabled));

-- name: ListChannelsByIDs :many
-- ListChannelsByIDs returns the enabled channels among the given ids, by id.
SELECT * FROM channels
WHERE id IN (sqlc.slice(ids)) AND enabled = TRUE
ORDER BY id
LIMIT ?;
