-- name: UpsertDailyYield :execrows
-- UpsertDailyYield stores an inverter's yield for a day, replacing an earlier value: 1 row for an insert, 2 for an update.
INSERT INTO daily_yields (device_id, day, site_id, energy_wh, peak_power_w, samples)
VALUES (?, ?, ?, ?, ?, ?)
ON DUPLICATE KEY UPDATE
    energy_wh = VALUES(energy_wh),
    peak_power_w = VALUES(peak_power_w),
    samples = VALUES(samples);

-- name: RollupDailyYields :execrows
-- RollupDailyYields computes the day's yield of every inverter of a site from its samples in [from_ts, to_ts) and upserts it.
INSERT INTO daily_yields (device_id, day, site_id, energy_wh, peak_power_w, samples)
SELECT r.device_id, sqlc.arg(day), r.site_id,
       MAX(r.energy_wh) - MIN(r.energy_wh), MAX(r.ac_power_w), COUNT(*)
FROM inverter_readings r
WHERE r.site_id = sqlc.arg(site_id)
  AND r.ts >= sqlc.arg(from_ts) AND r.ts < sqlc.arg(to_ts)
GROUP BY r.device_id, r.site_id
ON DUPLICATE KEY UPDATE
    energy_wh = VALUES(energy_wh),
    peak_power_w = VALUES(peak_power_w),
    samples = VALUES(samples);

-- name: ListSiteDailyYields :many
-- ListSiteDailyYields totals the yield of a site's inverters per day in [from_day, to_day].
SELECT day,
       CAST(SUM(energy_wh) AS DECIMAL(16,3)) AS energy_wh,
       CAST(COUNT(*) AS SIGNED) AS inverters
FROM daily_yields
WHERE site_id = sqlc.arg(site_id)
  AND day BETWEEN sqlc.arg(from_day) AND sqlc.arg(to_day)
GROUP BY day
ORDER BY day
LIMIT 366;
