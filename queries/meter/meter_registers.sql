-- name: UpsertMeterRegister :execrows
-- UpsertMeterRegister stores the latest value of a meter register, ignoring a value older than the stored one: 1 row for an insert, 2 for an update, 0 if stale or unchanged.
INSERT INTO meter_registers (device_id, obis_code, value, unit, read_at)
VALUES (?, ?, ?, ?, ?)
ON DUPLICATE KEY UPDATE
    value = IF(VALUES(read_at) > read_at, VALUES(value), value),
    unit = IF(VALUES(read_at) > read_at, VALUES(unit), unit),
    read_at = GREATEST(read_at, VALUES(read_at));

-- name: ListMeterRegisters :many
-- ListMeterRegisters returns the meter's registers with the given OBIS codes, ordered by OBIS code.
SELECT obis_code, value, unit, read_at
FROM meter_registers
WHERE device_id = sqlc.arg(device_id) AND obis_code IN (sqlc.slice(obis_codes))
ORDER BY obis_code;
