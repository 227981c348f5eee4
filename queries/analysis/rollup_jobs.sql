-- name: EnqueueRollupJob :execlastid
-- EnqueueRollupJob queues a KPI rollup for a period (all sites when site_id is NULL) and returns its id.
INSERT INTO rollup_jobs (kind, site_id, period_start, period_end, params)
VALUES (sqlc.arg(kind), sqlc.narg(site_id), sqlc.arg(period_start), sqlc.arg(period_end), sqlc.arg(params));

-- name: NextPendingRollupJob :one
-- NextPendingRollupJob locks the oldest pending job; call it in a transaction before StartRollupJob.
SELECT * FROM rollup_jobs
WHERE status = 'pending'
ORDER BY id
LIMIT 1
FOR UPDATE;

-- name: StartRollupJob :execrows
-- StartRollupJob moves a pending job to running and counts the attempt; 0 rows if it is not pending.
UPDATE rollup_jobs
SET status = 'running', started_at = CAST(sqlc.arg(started_at) AS DATETIME(6)), attempts = attempts + 1
WHERE id = sqlc.arg(id) AND status = 'pending';

-- name: FinishRollupJob :execrows
-- FinishRollupJob records a running job's outcome (succeeded or failed, with an optional error).
UPDATE rollup_jobs
SET status = sqlc.arg(status), finished_at = CAST(sqlc.arg(finished_at) AS DATETIME(6)), error_message = sqlc.narg(error_message)
WHERE id = sqlc.arg(id) AND status = 'running';

-- name: ListRollupJobs :many
-- ListRollupJobs pages through jobs by id, optionally filtered by status and kind.
SELECT * FROM rollup_jobs
WHERE (sqlc.narg(status) IS NULL OR status = sqlc.narg(status))
  AND (sqlc.narg(kind) IS NULL OR kind = sqlc.narg(kind))
  AND id > sqlc.arg(after_id)
ORDER BY id
LIMIT ?;
