-- name: CreateUser :execlastid
-- CreateUser adds a user and returns its id.
INSERT INTO users (email, full_name)
VALUES (?, ?);

-- name: ListUsersByIDs :many
-- ListUsersByIDs returns the users with the given ids, ordered by id.
SELECT id, email, full_name, status, last_login_at
FROM users
WHERE id IN (sqlc.slice(ids))
ORDER BY id;

-- name: RecordUserLogin :exec
-- RecordUserLogin stores the time of an active user's latest login.
UPDATE users
SET last_login_at = CAST(sqlc.arg(login_at) AS DATETIME(6))
WHERE id = sqlc.arg(id) AND status = 'active';
