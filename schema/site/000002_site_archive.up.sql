-- Sites are archived instead of deleted; lists skip archived sites.
ALTER TABLE sites
    ADD COLUMN IF NOT EXISTS archived_at DATETIME(6) NULL AFTER commissioned_on;

CREATE INDEX IF NOT EXISTS idx_sites_org_archived ON sites (org_id, archived_at, id);
