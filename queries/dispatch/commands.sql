-- name: EnqueueCommand :execlastid
-- EnqueueCommand queues a command and returns its id; with an idempotency key already used for the device it
-- returns the existing command's id and changes nothing.
INSERT INTO commands (site_id, device_id, command, payload, priority, requested_by, idempotency_key, expires_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id);

-- name: GetCommand :one
-- GetCommand returns one command.
SELECT id, site_id, device_id, command, payload, priority, status, requested_by, idempotency_key, created_at, expires_at, sent_at, acked_at
FROM commands
WHERE id = ?;

-- name: ListQueuedForDevices :many
-- ListQueuedForDevices returns the queued commands of the given devices, highest priority first, then oldest.
SELECT id, site_id, device_id, command, payload, priority, status, requested_by, idempotency_key, created_at, expires_at, sent_at, acked_at
FROM commands
WHERE device_id IN (sqlc.slice(device_ids)) AND status = 'queued'
ORDER BY priority DESC, id
LIMIT ?;

-- name: MarkSent :execrows
-- MarkSent moves a queued command to sent; 0 rows if it is not queued.
UPDATE commands SET status = 'sent', sent_at = CAST(sqlc.arg(sent_at) AS DATETIME(6))
WHERE id = sqlc.arg(id) AND status = 'queued';

-- name: AckCommand :execrows
-- AckCommand moves a sent command to acked; 0 rows if it is not sent.
UPDATE commands SET status = 'acked', acked_at = CAST(sqlc.arg(acked_at) AS DATETIME(6))
WHERE id = sqlc.arg(id) AND status = 'sent';

-- name: ExpireCommands :execrows
-- ExpireCommands fails every queued or sent command whose expiry is before now_ts.
UPDATE commands SET status = 'failed'
WHERE status IN ('queued', 'sent') AND expires_at < CAST(sqlc.arg(now_ts) AS DATETIME(6));

-- name: CountCommandsByStatus :many
-- CountCommandsByStatus counts a site's commands created in [from_ts, to_ts) per status, optionally for one device.
SELECT status, CAST(COUNT(*) AS SIGNED) AS commands
FROM commands
WHERE site_id = sqlc.arg(site_id)
  AND created_at >= sqlc.arg(from_ts) AND created_at < sqlc.arg(to_ts)
  AND (sqlc.narg(device_id) IS NULL OR device_id = sqlc.narg(device_id))
GROUP BY status
ORDER BY status
LIMIT 4;
