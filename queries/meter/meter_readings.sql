-- name: InsertMeterReading :exec
-- InsertMeterReading stores one meter sample.
-- hubdb:batch: also generated as InsertMeterReadingBatch, a multi-row insert of a slice of rows.
INSERT INTO meter_readings (device_id, ts, import_energy_wh, export_energy_wh, power_w, voltage_v)
VALUES (?, ?, ?, ?, ?, ?);

-- name: ListLatestMeterReadings :many
-- ListLatestMeterReadings returns the newest sample of each of the given meters, ordered by device id.
SELECT r.device_id, r.ts, r.import_energy_wh, r.export_energy_wh, r.power_w
FROM meter_readings r
JOIN (
    SELECT i.device_id, MAX(i.ts) AS max_ts
    FROM meter_readings i
    WHERE i.device_id IN (sqlc.slice(device_ids))
    GROUP BY i.device_id
) latest ON latest.device_id = r.device_id AND latest.max_ts = r.ts
ORDER BY r.device_id;

-- name: ListMeterReadings :many
-- ListMeterReadings pages through a meter's samples in (after_ts, to_ts) by time: pass the last ts seen as after_ts for the next page.
SELECT ts, import_energy_wh, export_energy_wh, power_w, voltage_v
FROM meter_readings
WHERE device_id = sqlc.arg(device_id)
  AND ts > sqlc.arg(after_ts) AND ts < sqlc.arg(to_ts)
ORDER BY ts
LIMIT ?;

-- name: MeterEnergyBetween :one
-- MeterEnergyBetween returns the energy a meter imported and exported in [from_ts, to_ts) (counter deltas) and its peak import power.
SELECT CAST(COUNT(*) AS SIGNED) AS samples,
       CAST(COALESCE(MAX(import_energy_wh) - MIN(import_energy_wh), 0) AS DECIMAL(16,3)) AS import_wh,
       CAST(COALESCE(MAX(export_energy_wh) - MIN(export_energy_wh), 0) AS DECIMAL(16,3)) AS export_wh,
       CAST(COALESCE(MAX(power_w), 0) AS DECIMAL(12,1)) AS peak_import_w
FROM meter_readings
WHERE device_id = sqlc.arg(device_id)
  AND ts >= sqlc.arg(from_ts) AND ts < sqlc.arg(to_ts);

-- name: DeleteMeterReadingsBefore :execrows
-- DeleteMeterReadingsBefore deletes up to limit samples older than before_ts, oldest first; call it until it returns fewer than limit.
DELETE FROM meter_readings
WHERE ts < sqlc.arg(before_ts)
ORDER BY ts
LIMIT ?;
