-- name: UpsertConnector :execrows
-- UpsertConnector creates or updates a charger's connector (1 = inserted, 2 = updated, 0 = unchanged).
INSERT INTO connectors (charger_id, connector_no, plug, max_power_kw, updated_at)
VALUES (?, ?, ?, ?, ?)
ON DUPLICATE KEY UPDATE
    plug = VALUES(plug),
    max_power_kw = VALUES(max_power_kw),
    updated_at = VALUES(updated_at);

-- name: ListConnectorsByChargers :many
-- ListConnectorsByChargers returns the connectors of the given chargers, by charger then connector number.
SELECT id, charger_id, connector_no, plug, max_power_kw, updated_at
FROM connectors
WHERE charger_id IN (sqlc.slice(charger_ids))
ORDER BY charger_id, connector_no
LIMIT 1000;
