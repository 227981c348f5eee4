-- name: CreatePlan :execlastid
-- CreatePlan creates a draft schedule plan for a site and returns its id.
INSERT INTO schedule_plans (site_id, name, valid_from, valid_to, created_by)
VALUES (?, ?, ?, ?, ?);

-- name: GetPlan :one
-- GetPlan returns one schedule plan.
SELECT id, site_id, name, status, valid_from, valid_to, created_by, created_at
FROM schedule_plans
WHERE id = ?;

-- name: ActivatePlan :execrows
-- ActivatePlan makes a draft plan active; 0 rows if it is not a draft.
UPDATE schedule_plans SET status = 'active' WHERE id = ? AND status = 'draft';

-- name: ListPlansBySite :many
-- ListPlansBySite pages through a site's plans by id, optionally only those in one status.
SELECT id, site_id, name, status, valid_from, valid_to, created_by, created_at
FROM schedule_plans
WHERE site_id = sqlc.arg(site_id)
  AND id > sqlc.arg(after_id)
  AND (sqlc.narg(status) IS NULL OR status = sqlc.narg(status))
ORDER BY id
LIMIT ?;
