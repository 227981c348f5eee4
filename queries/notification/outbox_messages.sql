-- name: EnqueueMessage :execlastid
-- EnqueueMessage puts a message into the outbox, due at next_attempt_at, and returns its id.
INSERT INTO outbox_messages (org_id, user_id, channel_id, topic, subject, body, payload, next_attempt_at)
VALUES (sqlc.arg(org_id), sqlc.narg(user_id), sqlc.arg(channel_id), sqlc.arg(topic), sqlc.arg(subject),
        sqlc.arg(body), sqlc.arg(payload), sqlc.arg(next_attempt_at));

-- name: ListDueMessages :many
-- ListDueMessages returns pending messages due at or before now, oldest due first.
SELECT * FROM outbox_messages
WHERE status = 'pending' AND next_attempt_at <= sqlc.arg(now)
ORDER BY next_attempt_at, id
LIMIT ?;

-- name: ClaimMessage :execrows
-- ClaimMessage moves a pending message to sending and counts the attempt; 0 rows if another worker won.
UPDATE outbox_messages
SET status = 'sending', attempts = attempts + 1
WHERE id = sqlc.arg(id) AND status = 'pending';

-- name: MarkMessageSent :execrows
-- MarkMessageSent records a successful delivery of a message being sent.
UPDATE outbox_messages
SET status = 'sent', sent_at = CAST(sqlc.arg(sent_at) AS DATETIME(6))
WHERE id = sqlc.arg(id) AND status = 'sending';

-- name: RetryOrFailMessage :execrows
-- RetryOrFailMessage puts a failed send back to pending at retry_at, or marks it failed
-- once it has been attempted max_attempts times.
UPDATE outbox_messages
SET status = IF(attempts >= CAST(sqlc.arg(max_attempts) AS SIGNED), 'failed', 'pending'),
    next_attempt_at = sqlc.arg(retry_at)
WHERE id = sqlc.arg(id) AND status = 'sending';
