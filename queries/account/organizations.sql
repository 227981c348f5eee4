-- name: CreateOrganization :execlastid
-- CreateOrganization adds a customer organization and returns its id.
INSERT INTO organizations (slug, name, plan, settings)
VALUES (?, ?, ?, ?);

-- name: GetOrganizationBySlug :one
-- GetOrganizationBySlug returns the organization with the given slug.
SELECT id, slug, name, plan, settings, created_at
FROM organizations
WHERE slug = ?;

-- name: ListOrganizations :many
-- ListOrganizations pages through organizations by id after after_id, optionally only those on one plan.
SELECT id, slug, name, plan, created_at
FROM organizations
WHERE id > sqlc.arg(after_id)
  AND (sqlc.narg(plan) IS NULL OR plan = sqlc.narg(plan))
ORDER BY id
LIMIT ?;
