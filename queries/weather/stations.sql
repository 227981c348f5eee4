-- name: CreateStation :execlastid
-- CreateStation adds a weather station to a site and returns its id.
INSERT INTO stations (site_id, name, provider, latitude, longitude, elevation_m, active)
VALUES (?, ?, ?, ?, ?, ?, ?);

-- name: GetStation :one
-- GetStation returns one station.
SELECT id, site_id, name, provider, latitude, longitude, elevation_m, active, created_at
FROM stations
WHERE id = ?;

-- name: ListStationsBySite :many
-- ListStationsBySite pages through a site's stations by id, optionally only active or inactive ones.
SELECT id, site_id, name, provider, latitude, longitude, elevation_m, active, created_at
FROM stations
WHERE site_id = sqlc.arg(site_id)
  AND id > sqlc.arg(after_id)
  AND (sqlc.narg(active) IS NULL OR active = sqlc.narg(active))
ORDER BY id
LIMIT ?;

-- name: SetStationActive :execrows
-- SetStationActive enables or disables a station; 0 rows when nothing changed.
UPDATE stations SET active = ? WHERE id = ?;
