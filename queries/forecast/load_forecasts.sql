-- name: UpsertLoadForecast :exec
-- UpsertLoadForecast stores a run's load value for one interval, replacing an earlier value.
INSERT INTO load_forecasts (run_id, interval_start, site_id, energy_wh)
VALUES (?, ?, ?, ?)
ON DUPLICATE KEY UPDATE energy_wh = VALUES(energy_wh);

-- name: NetForecast :many
-- NetForecast pairs a PV run with a load run per interval (intervals present in both) and returns the surplus (PV minus load).
SELECT p.interval_start,
       p.energy_wh AS pv_wh,
       l.energy_wh AS load_wh,
       CAST(p.energy_wh - l.energy_wh AS DECIMAL(15,3)) AS net_wh
FROM pv_forecasts p
JOIN load_forecasts l ON l.interval_start = p.interval_start
WHERE p.run_id = sqlc.arg(pv_run_id) AND l.run_id = sqlc.arg(load_run_id)
  AND p.interval_start >= sqlc.arg(from_ts) AND p.interval_start < sqlc.arg(to_ts)
ORDER BY p.interval_start
LIMIT ?;
