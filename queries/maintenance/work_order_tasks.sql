-- name: UpsertWorkOrderTask :execrows
-- UpsertWorkOrderTask writes the checklist task at a position, renaming it if present
-- (1 row affected for a new task, 2 for a renamed one, 0 if unchanged).
INSERT INTO work_order_tasks (work_order_id, position, title)
VALUES (sqlc.arg(work_order_id), sqlc.arg(position), sqlc.arg(title))
ON DUPLICATE KEY UPDATE title = VALUES(title);

-- name: CompleteWorkOrderTask :execrows
-- CompleteWorkOrderTask ticks off an open task; 0 rows if it was already done.
UPDATE work_order_tasks
SET done = TRUE, done_at = CAST(sqlc.arg(done_at) AS DATETIME(6)), done_by = CAST(sqlc.arg(user_id) AS SIGNED)
WHERE id = sqlc.arg(id) AND done = FALSE;

-- name: GetWorkOrderProgress :one
-- GetWorkOrderProgress counts a work order's tasks and how many are done.
SELECT CAST(COUNT(*) AS SIGNED) AS total_tasks,
       CAST(COALESCE(SUM(done), 0) AS SIGNED) AS done_tasks
FROM work_order_tasks
WHERE work_order_id = sqlc.arg(work_order_id);
