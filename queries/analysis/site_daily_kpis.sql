-- name: UpsertDailyKPI :execrows
-- UpsertDailyKPI stores a site's KPIs for a day, replacing an earlier computation
-- (1 row affected for a new day, 2 for a recomputation).
INSERT INTO site_daily_kpis (site_id, day, org_id, pv_energy_kwh, load_energy_kwh, grid_import_kwh,
    grid_export_kwh, performance_ratio, self_consumption_pct, autarky_pct, specific_yield, computed_at)
VALUES (sqlc.arg(site_id), sqlc.arg(day), sqlc.arg(org_id), sqlc.arg(pv_energy_kwh), sqlc.arg(load_energy_kwh),
    sqlc.arg(grid_import_kwh), sqlc.arg(grid_export_kwh), sqlc.narg(performance_ratio), sqlc.arg(self_consumption_pct),
    sqlc.arg(autarky_pct), sqlc.narg(specific_yield), sqlc.arg(computed_at))
ON DUPLICATE KEY UPDATE
    pv_energy_kwh = VALUES(pv_energy_kwh),
    load_energy_kwh = VALUES(load_energy_kwh),
    grid_import_kwh = VALUES(grid_import_kwh),
    grid_export_kwh = VALUES(grid_export_kwh),
    performance_ratio = VALUES(performance_ratio),
    self_consumption_pct = VALUES(self_consumption_pct),
    autarky_pct = VALUES(autarky_pct),
    specific_yield = VALUES(specific_yield),
    computed_at = VALUES(computed_at);

-- name: GetDailyKPI :one
-- GetDailyKPI returns a site's KPIs for one day.
SELECT * FROM site_daily_kpis WHERE site_id = sqlc.arg(site_id) AND day = sqlc.arg(day);

-- name: ListSiteDailyKPIs :many
-- ListSiteDailyKPIs returns a site's daily KPIs for days in [from_day, to_day], oldest first.
SELECT * FROM site_daily_kpis
WHERE site_id = sqlc.arg(site_id) AND day >= sqlc.arg(from_day) AND day <= sqlc.arg(to_day)
ORDER BY day
LIMIT ?;

-- name: SummarizeSiteKPIs :one
-- SummarizeSiteKPIs totals a site's energy and averages its ratios over days in [from_day, to_day].
SELECT
    CAST(COUNT(*) AS SIGNED) AS days,
    CAST(COALESCE(SUM(pv_energy_kwh), 0) AS DECIMAL(16,3)) AS pv_energy_kwh,
    CAST(COALESCE(SUM(load_energy_kwh), 0) AS DECIMAL(16,3)) AS load_energy_kwh,
    CAST(COALESCE(SUM(grid_import_kwh), 0) AS DECIMAL(16,3)) AS grid_import_kwh,
    CAST(COALESCE(SUM(grid_export_kwh), 0) AS DECIMAL(16,3)) AS grid_export_kwh,
    CAST(COALESCE(AVG(performance_ratio), 0) AS DECIMAL(8,4)) AS avg_performance_ratio,
    CAST(COALESCE(AVG(autarky_pct), 0) AS DECIMAL(8,4)) AS avg_autarky_pct
FROM site_daily_kpis
WHERE site_id = sqlc.arg(site_id) AND day >= sqlc.arg(from_day) AND day <= sqlc.arg(to_day);

-- name: ListOrgKPIsForDay :many
-- ListOrgKPIsForDay pages through an organization's site KPIs for one day by site id (keyset).
SELECT * FROM site_daily_kpis
WHERE org_id = sqlc.arg(org_id) AND day = sqlc.arg(day) AND site_id > sqlc.arg(after_site_id)
ORDER BY site_id
LIMIT ?;

-- name: DeleteDailyKPIsBefore :execrows
-- DeleteDailyKPIsBefore deletes KPI rows of days before the cutoff day (retention).
DELETE FROM site_daily_kpis WHERE day < sqlc.arg(before_day);
