-- name: InsertBatteryReading :exec
-- InsertBatteryReading stores one battery sample.
-- hubdb:batch: also generated as InsertBatteryReadingBatch, a multi-row insert of a slice of rows.
INSERT INTO battery_readings (device_id, ts, site_id, soc_pct, power_w, temperature_c, energy_in_wh, energy_out_wh)
VALUES (?, ?, ?, ?, ?, ?, ?, ?);

-- name: GetLatestBatteryReading :one
-- GetLatestBatteryReading returns a battery's newest sample at or before at_ts.
SELECT device_id, ts, site_id, soc_pct, power_w, temperature_c, energy_in_wh, energy_out_wh
FROM battery_readings
WHERE device_id = sqlc.arg(device_id) AND ts <= sqlc.arg(at_ts)
ORDER BY ts DESC
LIMIT 1;

-- name: ListBatteryReadings :many
-- ListBatteryReadings returns a battery's samples in [from_ts, to_ts), oldest first.
SELECT ts, soc_pct, power_w, temperature_c
FROM battery_readings
WHERE device_id = sqlc.arg(device_id)
  AND ts >= sqlc.arg(from_ts) AND ts < sqlc.arg(to_ts)
ORDER BY ts
LIMIT ?;

-- name: BatteryEnergyBetween :one
-- BatteryEnergyBetween returns the energy a battery took in and gave out in [from_ts, to_ts) (counter deltas) and its SoC range.
SELECT CAST(COUNT(*) AS SIGNED) AS samples,
       CAST(COALESCE(MAX(energy_in_wh) - MIN(energy_in_wh), 0) AS DECIMAL(16,3)) AS energy_in_wh,
       CAST(COALESCE(MAX(energy_out_wh) - MIN(energy_out_wh), 0) AS DECIMAL(16,3)) AS energy_out_wh,
       CAST(COALESCE(MIN(soc_pct), 0) AS DOUBLE) AS min_soc_pct,
       CAST(COALESCE(MAX(soc_pct), 0) AS DOUBLE) AS max_soc_pct
FROM battery_readings
WHERE device_id = sqlc.arg(device_id)
  AND ts >= sqlc.arg(from_ts) AND ts < sqlc.arg(to_ts);

-- name: DeleteBatteryReadingsBefore :execrows
-- DeleteBatteryReadingsBefore deletes up to limit samples older than before_ts, oldest first; call it until it returns fewer than limit.
DELETE FROM battery_readings
WHERE ts < sqlc.arg(before_ts)
ORDER BY ts
LIMIT ?;
