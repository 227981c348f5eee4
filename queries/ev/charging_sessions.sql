-- name: StartSession :execlastid
-- StartSession opens a charging session on a connector and returns its id.
INSERT INTO charging_sessions (charger_id, connector_id, user_id, id_tag, started_at, meter_start_wh)
VALUES (?, ?, ?, ?, ?, ?);

-- name: StopSession :execrows
-- StopSession closes an open session and stores its energy; 0 rows if it was already stopped.
-- (Assignments run left to right, so energy_wh sees the new meter_stop_wh.)
UPDATE charging_sessions
SET stopped_at = CAST(sqlc.arg(stopped_at) AS DATETIME(6)),
    meter_stop_wh = CAST(sqlc.arg(meter_stop_wh) AS DECIMAL(14,3)),
    energy_wh = meter_stop_wh - meter_start_wh,
    stop_reason = sqlc.arg(stop_reason)
WHERE id = sqlc.arg(id) AND stopped_at IS NULL;

-- name: GetActiveSessionByConnector :one
-- GetActiveSessionByConnector returns the open session on a connector.
SELECT id, charger_id, connector_id, user_id, id_tag, started_at, meter_start_wh
FROM charging_sessions
WHERE connector_id = ? AND stopped_at IS NULL
ORDER BY started_at DESC
LIMIT 1;

-- name: ListUserSessions :many
-- ListUserSessions returns a user's sessions started in [from_ts, to_ts), newest first.
SELECT id, charger_id, connector_id, id_tag, started_at, stopped_at, energy_wh, stop_reason
FROM charging_sessions
WHERE user_id = sqlc.arg(user_id)
  AND started_at >= sqlc.arg(from_ts) AND started_at < sqlc.arg(to_ts)
ORDER BY started_at DESC, id DESC
LIMIT ?;

-- name: SiteChargerEnergy :many
-- SiteChargerEnergy totals the energy of the site's sessions stopped in [from_ts, to_ts), per charger.
SELECT s.charger_id,
       CAST(COUNT(*) AS SIGNED) AS sessions,
       CAST(COALESCE(SUM(s.energy_wh), 0) AS DECIMAL(16,3)) AS energy_wh
FROM charging_sessions s
JOIN chargers c ON c.id = s.charger_id
WHERE c.site_id = sqlc.arg(site_id)
  AND s.stopped_at >= CAST(sqlc.arg(from_ts) AS DATETIME(6)) AND s.stopped_at < CAST(sqlc.arg(to_ts) AS DATETIME(6))
GROUP BY s.charger_id
ORDER BY s.charger_id
LIMIT 1000;
