-- name: CreateRun :execlastid
-- CreateRun records a new (running) forecast run and returns its id.
INSERT INTO forecast_runs (site_id, kind, model, issued_at, horizon_start, horizon_end, interval_minutes, params)
VALUES (?, ?, ?, ?, ?, ?, ?, ?);

-- name: GetRun :one
-- GetRun returns one forecast run.
SELECT id, site_id, kind, model, issued_at, horizon_start, horizon_end, interval_minutes, status, completed_at, params, created_at
FROM forecast_runs
WHERE id = ?;

-- name: FinishRun :execrows
-- FinishRun moves a running run to complete or failed; 0 rows if it is not running.
UPDATE forecast_runs
SET status = sqlc.arg(status), completed_at = CAST(sqlc.arg(completed_at) AS DATETIME(6))
WHERE id = sqlc.arg(id) AND status = 'running';

-- name: LatestCompleteRun :one
-- LatestCompleteRun returns the most recently issued complete run of a kind for a site.
SELECT id, site_id, kind, model, issued_at, horizon_start, horizon_end, interval_minutes, status, completed_at, params, created_at
FROM forecast_runs
WHERE site_id = ? AND kind = ? AND status = 'complete'
ORDER BY issued_at DESC, id DESC
LIMIT 1;

-- name: ListRunsBySite :many
-- ListRunsBySite pages through a site's runs by id, optionally filtered by kind and status.
SELECT id, site_id, kind, model, issued_at, horizon_start, horizon_end, interval_minutes, status, completed_at, params, created_at
FROM forecast_runs
WHERE site_id = sqlc.arg(site_id)
  AND id > sqlc.arg(after_id)
  AND (sqlc.narg(kind) IS NULL OR kind = sqlc.narg(kind))
  AND (sqlc.narg(status) IS NULL OR status = sqlc.narg(status))
ORDER BY id
LIMIT ?;

-- name: DeleteRunsIssuedBefore :execrows
-- DeleteRunsIssuedBefore removes a site's runs issued before before_ts together with their values.
DELETE FROM forecast_runs
WHERE site_id = sqlc.arg(site_id) AND issued_at < sqlc.arg(before_ts);
