-- name: CreateSite :execlastid
-- CreateSite adds a site to an organization and returns its id.
INSERT INTO sites (org_id, name, kind, timezone, latitude, longitude, capacity_kwp, commissioned_on)
VALUES (?, ?, ?, ?, ?, ?, ?, ?);

-- name: GetSite :one
-- GetSite returns one site, archived or not.
SELECT id, org_id, name, kind, timezone, latitude, longitude, capacity_kwp, commissioned_on, archived_at, created_at
FROM sites
WHERE id = ?;

-- name: ListOrganizationSites :many
-- ListOrganizationSites pages through an organization's sites that are not archived, by id, optionally only one kind.
SELECT id, name, kind, timezone, capacity_kwp
FROM sites
WHERE org_id = sqlc.arg(org_id)
  AND archived_at IS NULL
  AND id > sqlc.arg(after_id)
  AND (sqlc.narg(kind) IS NULL OR kind = sqlc.narg(kind))
ORDER BY id
LIMIT ?;

-- name: ListSitesByIDs :many
-- ListSitesByIDs returns the sites with the given ids (archived included), ordered by id.
SELECT id, org_id, name, timezone, capacity_kwp
FROM sites
WHERE id IN (sqlc.slice(ids))
ORDER BY id;

-- name: UpdateSiteCapacity :execrows
-- UpdateSiteCapacity changes the installed PV capacity of a site that is not archived.
UPDATE sites
SET capacity_kwp = sqlc.arg(capacity_kwp)
WHERE id = sqlc.arg(id) AND archived_at IS NULL;

-- name: ArchiveSite :execrows
-- ArchiveSite archives a site; 0 rows if it is unknown or already archived.
UPDATE sites
SET archived_at = CAST(sqlc.arg(archived_at) AS DATETIME(6))
WHERE id = sqlc.arg(id) AND archived_at IS NULL;

-- name: OrganizationCapacity :one
-- OrganizationCapacity counts an organization's sites that are not archived and totals their capacity.
SELECT CAST(COUNT(*) AS SIGNED) AS sites,
       CAST(COALESCE(SUM(capacity_kwp), 0) AS DECIMAL(14,3)) AS capacity_kwp
FROM sites
WHERE org_id = ? AND archived_at IS NULL;
