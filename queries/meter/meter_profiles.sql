-- name: UpsertMeterProfile :execrows
-- UpsertMeterProfile creates or replaces a meter's profile: 1 row for an insert, 2 for an update, 0 if unchanged.
INSERT INTO meter_profiles (device_id, site_id, position, phases, ct_ratio, config)
VALUES (?, ?, ?, ?, ?, ?)
ON DUPLICATE KEY UPDATE
    site_id = VALUES(site_id),
    position = VALUES(position),
    phases = VALUES(phases),
    ct_ratio = VALUES(ct_ratio),
    config = VALUES(config);

-- name: GetMeterProfile :one
-- GetMeterProfile returns a meter's profile.
SELECT device_id, site_id, position, phases, ct_ratio, config, updated_at
FROM meter_profiles
WHERE device_id = ?;

-- name: ListSiteMeterProfiles :many
-- ListSiteMeterProfiles returns a site's meter profiles, optionally only those at one position, by device id.
SELECT device_id, position, phases, ct_ratio
FROM meter_profiles
WHERE site_id = sqlc.arg(site_id)
  AND (sqlc.narg(position) IS NULL OR position = sqlc.narg(position))
ORDER BY device_id
LIMIT 200;
