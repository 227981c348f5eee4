-- name: CreateCharger :execlastid
-- CreateCharger registers the charger of an EV-charger device and returns its id.
INSERT INTO chargers (site_id, device_id, name, max_power_kw, status)
VALUES (?, ?, ?, ?, ?);

-- name: ListChargersBySite :many
-- ListChargersBySite pages through a site's chargers by id, optionally only those in one status.
SELECT id, site_id, device_id, name, max_power_kw, status, created_at
FROM chargers
WHERE site_id = sqlc.arg(site_id)
  AND id > sqlc.arg(after_id)
  AND (sqlc.narg(status) IS NULL OR status = sqlc.narg(status))
ORDER BY id
LIMIT ?;
