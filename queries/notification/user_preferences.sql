-- name: UpsertUserPreference :execrows
-- UpsertUserPreference sets a user's opt-in and quiet hours for a channel kind and topic
-- (1 row affected when created, 2 when changed, 0 when unchanged).
INSERT INTO user_preferences (user_id, channel_kind, topic, enabled, quiet_start, quiet_end)
VALUES (sqlc.arg(user_id), sqlc.arg(channel_kind), sqlc.arg(topic), sqlc.arg(enabled), sqlc.narg(quiet_start), sqlc.narg(quiet_end))
ON DUPLICATE KEY UPDATE
    enabled = VALUES(enabled),
    quiet_start = VALUES(quiet_start),
    quiet_end = VALUES(quiet_end);

-- name: ListUserPreferences :many
-- ListUserPreferences returns a user's preferences, optionally for one channel kind, by kind and topic.
SELECT * FROM user_preferences
WHERE user_id = sqlc.arg(user_id)
  AND (sqlc.narg(channel_kind) IS NULL OR channel_kind = sqlc.narg(channel_kind))
ORDER BY channel_kind, topic
LIMIT ?;
