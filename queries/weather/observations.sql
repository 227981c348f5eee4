-- name: UpsertObservation :execrows
-- UpsertObservation stores an observation; a repeated (station, ts) replaces the values (1 = inserted, 2 = updated).
INSERT INTO observations (station_id, ts, site_id, temperature_c, ghi_w_m2, cloud_cover_pct, wind_speed_m_s, precipitation_mm)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON DUPLICATE KEY UPDATE
    temperature_c = VALUES(temperature_c),
    ghi_w_m2 = VALUES(ghi_w_m2),
    cloud_cover_pct = VALUES(cloud_cover_pct),
    wind_speed_m_s = VALUES(wind_speed_m_s),
    precipitation_mm = VALUES(precipitation_mm);

-- name: LatestObservations :many
-- LatestObservations returns the newest observation of each of the given stations.
SELECT o.station_id, o.ts, o.site_id, o.temperature_c, o.ghi_w_m2, o.cloud_cover_pct, o.wind_speed_m_s, o.precipitation_mm
FROM observations o
WHERE o.station_id IN (sqlc.slice(station_ids))
  AND o.ts = (SELECT MAX(l.ts) FROM observations l WHERE l.station_id = o.station_id)
ORDER BY o.station_id
LIMIT 1000;

-- name: ListObservations :many
-- ListObservations returns a station's observations in [from_ts, to_ts) in time order.
SELECT station_id, ts, site_id, temperature_c, ghi_w_m2, cloud_cover_pct, wind_speed_m_s, precipitation_mm
FROM observations
WHERE station_id = sqlc.arg(station_id)
  AND ts >= sqlc.arg(from_ts) AND ts < sqlc.arg(to_ts)
ORDER BY ts
LIMIT ?;

-- name: HourlySiteWeather :many
-- HourlySiteWeather averages a site's observations in [from_ts, to_ts) per UTC hour.
SELECT CAST(DATE_FORMAT(ts, '%Y-%m-%d %H:00:00') AS DATETIME(6)) AS hour_start,
       CAST(COUNT(*) AS SIGNED) AS samples,
       CAST(AVG(temperature_c) AS DOUBLE) AS avg_temperature_c,
       CAST(AVG(ghi_w_m2) AS DOUBLE) AS avg_ghi_w_m2,
       CAST(MAX(ghi_w_m2) AS DOUBLE) AS max_ghi_w_m2,
       CAST(SUM(precipitation_mm) AS DOUBLE) AS precipitation_mm
FROM observations
WHERE site_id = sqlc.arg(site_id)
  AND ts >= sqlc.arg(from_ts) AND ts < sqlc.arg(to_ts)
GROUP BY hour_start
ORDER BY hour_start
LIMIT 744;

-- name: CountObservationsSince :one
-- CountObservationsSince counts a station's observations at or after since_ts and returns the newest timestamp (the Unix epoch when none).
SELECT CAST(COUNT(*) AS SIGNED) AS observations,
       CAST(COALESCE(MAX(ts), '1970-01-01 00:00:00') AS DATETIME(6)) AS newest_ts
FROM observations
WHERE station_id = sqlc.arg(station_id) AND ts >= sqlc.arg(since_ts);

-- name: DeleteObservationsBefore :execrows
-- DeleteObservationsBefore removes a station's observations older than before_ts (retention).
DELETE FROM observations
WHERE station_id = sqlc.arg(station_id) AND ts < sqlc.arg(before_ts);
