-- name: UpsertMembership :execrows
-- UpsertMembership adds a user to an organization or changes their role: 1 row for an insert, 2 for a role change, 0 if unchanged.
INSERT INTO memberships (org_id, user_id, role)
VALUES (?, ?, ?)
ON DUPLICATE KEY UPDATE role = VALUES(role);

-- name: ListOrganizationMembers :many
-- ListOrganizationMembers pages through an organization's members by user id, optionally only one role.
SELECT u.id AS user_id, u.email, u.full_name, m.role, m.created_at AS member_since
FROM memberships m
JOIN users u ON u.id = m.user_id
WHERE m.org_id = sqlc.arg(org_id)
  AND m.user_id > sqlc.arg(after_user_id)
  AND (sqlc.narg(role) IS NULL OR m.role = sqlc.narg(role))
ORDER BY m.user_id
LIMIT ?;
