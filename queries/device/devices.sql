-- name: RegisterDevice :execlastid
-- RegisterDevice adds a device to a site and returns its id.
INSERT INTO devices (site_id, kind, vendor, serial, model, firmware)
VALUES (?, ?, ?, ?, ?, ?);

-- name: UpsertDeviceBySerial :execrows
-- UpsertDeviceBySerial registers a device by vendor and serial, or moves it to the site and updates its model and firmware: 1 row for an insert, 2 for an update, 0 if unchanged.
INSERT INTO devices (site_id, kind, vendor, serial, model, firmware)
VALUES (?, ?, ?, ?, ?, ?)
ON DUPLICATE KEY UPDATE
    site_id = VALUES(site_id),
    model = VALUES(model),
    firmware = VALUES(firmware);

-- name: GetDeviceBySerial :one
-- GetDeviceBySerial returns the device with the given vendor and serial.
SELECT id, site_id, kind, vendor, serial, model, firmware, status, last_seen_at, created_at
FROM devices
WHERE vendor = ? AND serial = ?;

-- name: ListSiteDevices :many
-- ListSiteDevices pages through a site's devices by id, optionally only one kind and/or status.
SELECT id, kind, vendor, serial, model, status, last_seen_at
FROM devices
WHERE site_id = sqlc.arg(site_id)
  AND id > sqlc.arg(after_id)
  AND (sqlc.narg(kind) IS NULL OR kind = sqlc.narg(kind))
  AND (sqlc.narg(status) IS NULL OR status = sqlc.narg(status))
ORDER BY id
LIMIT ?;

-- name: ListDevicesByIDs :many
-- ListDevicesByIDs returns the devices with the given ids, ordered by id.
SELECT id, site_id, kind, serial, status
FROM devices
WHERE id IN (sqlc.slice(ids))
ORDER BY id;

-- name: MarkDeviceSeen :execrows
-- MarkDeviceSeen records a message from a device at seen_at and marks it online; 0 rows if seen_at is not newer than the last one or the device is decommissioned.
UPDATE devices
SET last_seen_at = CAST(sqlc.arg(seen_at) AS DATETIME(6)), status = 'online'
WHERE id = sqlc.arg(id)
  AND status <> 'decommissioned'
  AND (last_seen_at IS NULL OR last_seen_at < CAST(sqlc.arg(seen_at) AS DATETIME(6)));

-- name: MarkSilentDevicesOffline :execrows
-- MarkSilentDevicesOffline marks online devices not seen since before silent_since as offline.
UPDATE devices
SET status = 'offline'
WHERE status = 'online' AND last_seen_at < CAST(sqlc.arg(silent_since) AS DATETIME(6));

-- name: CountSiteDevicesByStatus :many
-- CountSiteDevicesByStatus counts a site's devices per status, in the status ENUM's order.
SELECT status, CAST(COUNT(*) AS SIGNED) AS devices
FROM devices
WHERE site_id = ?
GROUP BY status
ORDER BY status
LIMIT 10;
