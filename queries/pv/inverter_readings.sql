-- name: InsertInverterReading :execrows
-- InsertInverterReading stores one inverter sample; 0 rows when the device already has a sample at ts (a redelivery).
-- hubdb:batch: also generated as InsertInverterReadingBatch, a multi-row insert of a slice of rows.
INSERT IGNORE INTO inverter_readings (device_id, ts, site_id, ac_power_w, dc_power_w, energy_wh, ac_voltage_v, dc_voltage_v, temperature_c)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: GetLatestInverterReading :one
-- GetLatestInverterReading returns an inverter's newest sample.
SELECT device_id, ts, site_id, ac_power_w, dc_power_w, energy_wh, ac_voltage_v, dc_voltage_v, temperature_c
FROM inverter_readings
WHERE device_id = ?
ORDER BY ts DESC
LIMIT 1;

-- name: ListLatestInverterReadings :many
-- ListLatestInverterReadings returns the newest sample of each of the given inverters, ordered by device id.
SELECT r.device_id, r.ts, r.ac_power_w, r.energy_wh
FROM inverter_readings r
JOIN (
    SELECT i.device_id, MAX(i.ts) AS max_ts
    FROM inverter_readings i
    WHERE i.device_id IN (sqlc.slice(device_ids))
    GROUP BY i.device_id
) latest ON latest.device_id = r.device_id AND latest.max_ts = r.ts
ORDER BY r.device_id;

-- name: ListInverterReadings :many
-- ListInverterReadings pages through an inverter's samples in [after_ts, to_ts) by time: pass the last ts seen as after_ts (exclusive) for the next page.
SELECT ts, ac_power_w, dc_power_w, energy_wh, temperature_c
FROM inverter_readings
WHERE device_id = sqlc.arg(device_id)
  AND ts > sqlc.arg(after_ts) AND ts < sqlc.arg(to_ts)
ORDER BY ts
LIMIT ?;

-- name: InverterEnergyBetween :one
-- InverterEnergyBetween summarises an inverter's samples in [from_ts, to_ts): count, energy produced (counter delta), peak and mean AC power.
SELECT CAST(COUNT(*) AS SIGNED) AS samples,
       CAST(COALESCE(MAX(energy_wh) - MIN(energy_wh), 0) AS DECIMAL(16,3)) AS energy_wh,
       CAST(COALESCE(MAX(ac_power_w), 0) AS DECIMAL(12,1)) AS peak_power_w,
       CAST(COALESCE(AVG(ac_power_w), 0) AS DECIMAL(12,1)) AS mean_power_w
FROM inverter_readings
WHERE device_id = sqlc.arg(device_id)
  AND ts >= sqlc.arg(from_ts) AND ts < sqlc.arg(to_ts);

-- name: SiteHourlyACPower :many
-- SiteHourlyACPower averages the AC power of each of a site's inverters per hour over [from_ts, to_ts), then sums the inverters, per hour.
SELECT hour, CAST(SUM(mean_w) AS DECIMAL(14,1)) AS ac_power_w
FROM (
    SELECT device_id,
           CAST(DATE_FORMAT(ts, '%Y-%m-%d %H:00:00') AS DATETIME(6)) AS hour,
           AVG(ac_power_w) AS mean_w
    FROM inverter_readings
    WHERE site_id = sqlc.arg(site_id)
      AND ts >= sqlc.arg(from_ts) AND ts < sqlc.arg(to_ts)
    GROUP BY device_id, hour
) per_device
GROUP BY hour
ORDER BY hour
LIMIT 744;

-- name: DeleteInverterReadingsBefore :execrows
-- DeleteInverterReadingsBefore deletes up to limit samples older than before_ts, oldest first; call it until it returns fewer than limit.
DELETE FROM inverter_readings
WHERE ts < sqlc.arg(before_ts)
ORDER BY ts
LIMIT ?;
