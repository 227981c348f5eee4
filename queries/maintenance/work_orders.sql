-- name: CreateWorkOrder :execlastid
-- CreateWorkOrder opens a work order for a site (and optionally one device) and returns its id.
INSERT INTO work_orders (org_id, site_id, device_id, title, description, priority, created_by, due_date)
VALUES (sqlc.arg(org_id), sqlc.arg(site_id), sqlc.narg(device_id), sqlc.arg(title), sqlc.arg(description),
        sqlc.arg(priority), sqlc.arg(created_by), sqlc.narg(due_date));

-- name: GetWorkOrder :one
-- GetWorkOrder returns one work order by id.
SELECT * FROM work_orders WHERE id = sqlc.arg(id);

-- name: ListSiteWorkOrders :many
-- ListSiteWorkOrders pages through a site's work orders by id, optionally filtered by status and assignee.
SELECT * FROM work_orders
WHERE site_id = sqlc.arg(site_id)
  AND (sqlc.narg(status) IS NULL OR status = sqlc.narg(status))
  AND (sqlc.narg(assigned_to) IS NULL OR assigned_to = sqlc.narg(assigned_to))
  AND id > sqlc.arg(after_id)
ORDER BY id
LIMIT ?;

-- name: AssignWorkOrder :execrows
-- AssignWorkOrder assigns an open or scheduled work order to a technician and marks it scheduled.
UPDATE work_orders
SET assigned_to = CAST(sqlc.arg(technician_id) AS SIGNED), status = 'scheduled'
WHERE id = sqlc.arg(id) AND status IN ('open', 'scheduled');

-- name: CloseWorkOrder :execrows
-- CloseWorkOrder finishes (done or cancelled) a work order that is not closed yet.
UPDATE work_orders
SET status = sqlc.arg(status), closed_at = CAST(sqlc.arg(closed_at) AS DATETIME(6))
WHERE id = sqlc.arg(id) AND closed_at IS NULL;
