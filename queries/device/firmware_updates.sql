-- name: RecordFirmwareUpdate :execlastid
-- RecordFirmwareUpdate stores a firmware change of a device in its history and returns the entry's id.
INSERT INTO firmware_updates (device_id, from_version, to_version, installed_at, details)
VALUES (?, ?, ?, ?, ?);

-- name: ListFirmwareUpdates :many
-- ListFirmwareUpdates returns a device's firmware history, newest first.
SELECT id, from_version, to_version, installed_at, details
FROM firmware_updates
WHERE device_id = ?
ORDER BY installed_at DESC, id DESC
LIMIT ?;
