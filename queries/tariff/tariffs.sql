-- name: CreateTariff :execlastid
-- CreateTariff adds a tariff to an organization and returns its id.
INSERT INTO tariffs (org_id, name, currency, kind, standing_charge_per_day)
VALUES (?, ?, ?, ?, ?);

-- name: GetTariff :one
-- GetTariff returns one tariff.
SELECT id, org_id, name, currency, kind, standing_charge_per_day, created_at
FROM tariffs
WHERE id = ?;

-- name: ListTariffsByOrg :many
-- ListTariffsByOrg pages through an organization's tariffs by id, optionally only one kind.
SELECT id, org_id, name, currency, kind, standing_charge_per_day, created_at
FROM tariffs
WHERE org_id = sqlc.arg(org_id)
  AND id > sqlc.arg(after_id)
  AND (sqlc.narg(kind) IS NULL OR kind = sqlc.narg(kind))
ORDER BY id
LIMIT ?;
