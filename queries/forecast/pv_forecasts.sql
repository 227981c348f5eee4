-- name: UpsertPVForecast :execrows
-- UpsertPVForecast stores a run's PV value for one interval (1 = inserted, 2 = updated).
INSERT INTO pv_forecasts (run_id, interval_start, site_id, energy_wh, p10_wh, p90_wh)
VALUES (?, ?, ?, ?, ?, ?)
ON DUPLICATE KEY UPDATE
    energy_wh = VALUES(energy_wh),
    p10_wh = VALUES(p10_wh),
    p90_wh = VALUES(p90_wh);

-- name: ListPVForecast :many
-- ListPVForecast returns a run's PV values for intervals in [from_ts, to_ts) in time order.
SELECT run_id, interval_start, site_id, energy_wh, p10_wh, p90_wh
FROM pv_forecasts
WHERE run_id = sqlc.arg(run_id)
  AND interval_start >= sqlc.arg(from_ts) AND interval_start < sqlc.arg(to_ts)
ORDER BY interval_start
LIMIT ?;

-- name: SumPVForecast :one
-- SumPVForecast totals a run's PV energy for intervals in [from_ts, to_ts).
SELECT CAST(COUNT(*) AS SIGNED) AS intervals,
       CAST(COALESCE(SUM(energy_wh), 0) AS DECIMAL(16,3)) AS energy_wh
FROM pv_forecasts
WHERE run_id = sqlc.arg(run_id)
  AND interval_start >= sqlc.arg(from_ts) AND interval_start < sqlc.arg(to_ts);
