-- name: InsertMeterValue :exec
-- InsertMeterValue stores a meter value of a session; a repeated timestamp overwrites it.
INSERT INTO session_meter_values (session_id, ts, energy_wh, power_w, soc_pct)
VALUES (?, ?, ?, ?, ?)
ON DUPLICATE KEY UPDATE
    energy_wh = VALUES(energy_wh),
    power_w = VALUES(power_w),
    soc_pct = VALUES(soc_pct);

-- name: ListSessionMeterValues :many
-- ListSessionMeterValues returns a session's meter values after after_ts in time order.
SELECT session_id, ts, energy_wh, power_w, soc_pct
FROM session_meter_values
WHERE session_id = sqlc.arg(session_id) AND ts > sqlc.arg(after_ts)
ORDER BY ts
LIMIT ?;
