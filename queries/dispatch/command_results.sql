-- name: SaveResult :exec
-- SaveResult stores the device's result of a command, replacing an earlier one.
INSERT INTO command_results (command_id, received_at, success, result)
VALUES (?, ?, ?, ?)
ON DUPLICATE KEY UPDATE
    received_at = VALUES(received_at),
    success = VALUES(success),
    result = VALUES(result);

-- name: GetCommandWithResult :one
-- GetCommandWithResult returns a command together with its result.
SELECT c.id, c.device_id, c.command, c.status, r.received_at, r.success, r.result
FROM commands c
JOIN command_results r ON r.command_id = c.id
WHERE c.id = ?;
