-- name: RaiseAlarm :execrows
-- RaiseAlarm inserts an alarm, or refreshes the open alarm with the same dedup key
-- (1 row affected for a new alarm, 2 for a refresh, which sets last_seen_at).
INSERT INTO alarms (rule_id, org_id, site_id, device_id, code, dedup_key, severity, message, details, raised_at)
VALUES (sqlc.narg(rule_id), sqlc.arg(org_id), sqlc.arg(site_id), sqlc.narg(device_id), sqlc.arg(code),
        sqlc.narg(dedup_key), sqlc.arg(severity), sqlc.arg(message), sqlc.arg(details), sqlc.arg(raised_at))
ON DUPLICATE KEY UPDATE
    occurrences = occurrences + 1,
    severity = VALUES(severity),
    message = VALUES(message),
    details = VALUES(details),
    last_seen_at = VALUES(raised_at);

-- name: GetAlarm :one
-- GetAlarm returns one alarm by id.
SELECT * FROM alarms WHERE id = ?;

-- name: GetOpenAlarmByDedupKey :one
-- GetOpenAlarmByDedupKey returns the open (not cleared) alarm with the dedup key.
SELECT * FROM alarms WHERE dedup_key = sqlc.arg(dedup_key);

-- name: AcknowledgeAlarm :execrows
-- AcknowledgeAlarm marks an active alarm acknowledged by a user; 0 rows if it is not active.
UPDATE alarms
SET state = 'acknowledged', acknowledged_at = CAST(sqlc.arg(acknowledged_at) AS DATETIME(6)), acknowledged_by = CAST(sqlc.arg(user_id) AS SIGNED)
WHERE id = sqlc.arg(id) AND state = 'active';

-- name: ClearAlarm :execrows
-- ClearAlarm clears an open alarm and releases its dedup key; 0 rows if already cleared.
UPDATE alarms
SET state = 'cleared', cleared_at = CAST(sqlc.arg(cleared_at) AS DATETIME(6)), dedup_key = NULL
WHERE id = sqlc.arg(id) AND state <> 'cleared';

-- name: ListSiteAlarms :many
-- ListSiteAlarms pages through a site's alarms by id, optionally filtered by state and severity.
SELECT * FROM alarms
WHERE site_id = sqlc.arg(site_id)
  AND (sqlc.narg(state) IS NULL OR state = sqlc.narg(state))
  AND (sqlc.narg(severity) IS NULL OR severity = sqlc.narg(severity))
  AND id > sqlc.arg(after_id)
ORDER BY id
LIMIT ?;

-- name: CountOpenAlarmsBySite :many
-- CountOpenAlarmsBySite counts the open alarms of each listed site per severity.
SELECT site_id, severity, CAST(COUNT(*) AS SIGNED) AS open_count
FROM alarms
WHERE site_id IN (sqlc.slice(site_ids)) AND state <> 'cleared'
GROUP BY site_id, severity
ORDER BY site_id, severity
LIMIT ?;

-- name: DeleteClearedAlarmsBefore :execrows
-- DeleteClearedAlarmsBefore deletes up to limit alarms cleared before the cutoff (batched retention).
DELETE FROM alarms
WHERE state = 'cleared' AND cleared_at < CAST(sqlc.arg(cutoff) AS DATETIME(6))
ORDER BY cleared_at
LIMIT ?;
