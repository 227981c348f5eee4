-- name: AssignTariff :execrows
-- AssignTariff sets the tariff of a site's import or export from valid_from on (1 = new assignment, 2 = replaced one starting at the same time).
INSERT INTO site_tariffs (site_id, tariff_id, direction, valid_from, valid_to)
VALUES (?, ?, ?, ?, ?)
ON DUPLICATE KEY UPDATE
    tariff_id = VALUES(tariff_id),
    valid_to = VALUES(valid_to);

-- name: CloseOpenAssignment :execrows
-- CloseOpenAssignment ends a site's open-ended assignment for a direction at valid_to.
UPDATE site_tariffs
SET valid_to = CAST(sqlc.arg(valid_to) AS DATETIME(6))
WHERE site_id = sqlc.arg(site_id) AND direction = sqlc.arg(direction) AND valid_to IS NULL;

-- name: ActiveTariffsForSites :many
-- ActiveTariffsForSites returns, for each of the given sites, the tariffs in force at at_ts (one per site and direction).
SELECT st.site_id, st.direction, st.valid_from, st.valid_to,
       t.id AS tariff_id, t.name, t.currency, t.kind, t.standing_charge_per_day
FROM site_tariffs st
JOIN tariffs t ON t.id = st.tariff_id
WHERE st.site_id IN (sqlc.slice(site_ids))
  AND st.valid_from <= sqlc.arg(at_ts)
  AND (st.valid_to IS NULL OR st.valid_to > CAST(sqlc.arg(at_ts) AS DATETIME(6)))
ORDER BY st.site_id, st.direction
LIMIT 1000;
