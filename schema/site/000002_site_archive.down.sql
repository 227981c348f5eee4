DROP INDEX IF EXISTS idx_sites_org_archived ON sites;

ALTER TABLE sites DROP COLUMN IF EXISTS archived_at;
