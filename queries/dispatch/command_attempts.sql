-- name: RecordAttempt :execlastid
-- RecordAttempt stores a delivery attempt of a command and returns its id.
INSERT INTO command_attempts (command_id, attempt_no, sent_at, outcome, error)
VALUES (?, ?, ?, ?, ?);

-- name: ListAttempts :many
-- ListAttempts returns a command's attempts in attempt order.
SELECT id, command_id, attempt_no, sent_at, outcome, error
FROM command_attempts
WHERE command_id = ?
ORDER BY attempt_no
LIMIT 100;
