-- name: InsertAuditEvent :execlastid
-- InsertAuditEvent appends an audit event and returns its id.
INSERT INTO audit_events (org_id, actor_type, actor_id, action, entity_type, entity_id, details, ip, request_id, occurred_at)
VALUES (sqlc.arg(org_id), sqlc.arg(actor_type), sqlc.narg(actor_id), sqlc.arg(action), sqlc.arg(entity_type),
        sqlc.arg(entity_id), sqlc.arg(details), sqlc.narg(ip), sqlc.narg(request_id), sqlc.arg(occurred_at));

-- name: GetAuditEvent :one
-- GetAuditEvent returns one audit event by id.
SELECT * FROM audit_events WHERE id = sqlc.arg(id);

-- name: ListOrgAuditEvents :many
-- ListOrgAuditEvents pages through an organization's events in [from_ts, to_ts) by id,
-- optionally filtered by actor and action.
SELECT * FROM audit_events
WHERE org_id = sqlc.arg(org_id)
  AND occurred_at >= sqlc.arg(from_ts) AND occurred_at < sqlc.arg(to_ts)
  AND (sqlc.narg(actor_id) IS NULL OR actor_id = sqlc.narg(actor_id))
  AND (sqlc.narg(action) IS NULL OR action = sqlc.narg(action))
  AND id > sqlc.arg(after_id)
ORDER BY id
LIMIT ?;

-- name: ListEntityHistory :many
-- ListEntityHistory returns the latest events about one entity, newest first.
SELECT * FROM audit_events
WHERE entity_type = sqlc.arg(entity_type) AND entity_id = sqlc.arg(entity_id)
ORDER BY occurred_at DESC, id DESC
LIMIT ?;

-- name: ListAuditEventsByIDs :many
-- ListAuditEventsByIDs returns the events with the given ids, by id.
SELECT * FROM audit_events
WHERE id IN (sqlc.slice(ids))
ORDER BY id
LIMIT ?;

-- name: ListRequestAuditEvents :many
-- ListRequestAuditEvents returns the events recorded during one API request, in order.
SELECT * FROM audit_events
WHERE request_id = sqlc.arg(request_id)
ORDER BY id
LIMIT ?;

-- name: CountAuditActions :many
-- CountAuditActions counts an organization's events per action in [from_ts, to_ts), most frequent first.
SELECT action, CAST(COUNT(*) AS SIGNED) AS events, CAST(MAX(occurred_at) AS DATETIME(6)) AS last_at
FROM audit_events
WHERE org_id = sqlc.arg(org_id) AND occurred_at >= sqlc.arg(from_ts) AND occurred_at < sqlc.arg(to_ts)
GROUP BY action
ORDER BY events DESC, action
LIMIT ?;

-- name: DeleteAuditEventsBefore :execrows
-- DeleteAuditEventsBefore deletes up to limit of an organization's events older than the cutoff (batched retention).
DELETE FROM audit_events
WHERE org_id = sqlc.arg(org_id) AND occurred_at < sqlc.arg(cutoff)
ORDER BY occurred_at
LIMIT ?;
