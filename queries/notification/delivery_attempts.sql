-- name: RecordDeliveryAttempt :execlastid
-- RecordDeliveryAttempt logs one delivery attempt of a message and returns its id.
INSERT INTO delivery_attempts (message_id, attempted_at, success, response_code, error)
VALUES (sqlc.arg(message_id), sqlc.arg(attempted_at), sqlc.arg(success), sqlc.narg(response_code), sqlc.narg(error));

-- name: ListDeliveryAttempts :many
-- ListDeliveryAttempts returns a message's delivery attempts in time order.
SELECT * FROM delivery_attempts
WHERE message_id = sqlc.arg(message_id)
ORDER BY attempted_at, id
LIMIT ?;
