-- name: UpsertBatteryState :execrows
-- UpsertBatteryState stores the current state of a battery: 1 row for a new battery, 2 for an update, 0 if unchanged.
INSERT INTO battery_states (device_id, site_id, mode, soc_pct, soh_pct, capacity_wh, fault_codes, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON DUPLICATE KEY UPDATE
    site_id = VALUES(site_id),
    mode = VALUES(mode),
    soc_pct = VALUES(soc_pct),
    soh_pct = VALUES(soh_pct),
    capacity_wh = VALUES(capacity_wh),
    fault_codes = VALUES(fault_codes),
    updated_at = VALUES(updated_at);

-- name: GetBatteryState :one
-- GetBatteryState returns the current state of a battery.
SELECT device_id, site_id, mode, soc_pct, soh_pct, capacity_wh, fault_codes, updated_at
FROM battery_states
WHERE device_id = ?;

-- name: ListSiteBatteryStates :many
-- ListSiteBatteryStates pages through the states of a site's batteries by device id, optionally only those in one mode.
SELECT device_id, mode, soc_pct, capacity_wh, updated_at
FROM battery_states
WHERE site_id = sqlc.arg(site_id)
  AND device_id > sqlc.arg(after_device_id)
  AND (sqlc.narg(mode) IS NULL OR mode = sqlc.narg(mode))
ORDER BY device_id
LIMIT ?;

-- name: SiteStoredEnergy :one
-- SiteStoredEnergy totals the energy stored in a site's batteries (capacity times SoC) and counts those in fault.
SELECT CAST(COUNT(*) AS SIGNED) AS batteries,
       CAST(COALESCE(SUM(capacity_wh * soc_pct / 100), 0) AS DECIMAL(14,1)) AS stored_wh,
       CAST(COALESCE(SUM(mode = 'fault'), 0) AS SIGNED) AS faulted
FROM battery_states
WHERE site_id = ?;
