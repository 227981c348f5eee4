-- Specific yield (kWh per kWp) per site and day, and an index for per-org daily reports.
ALTER TABLE site_daily_kpis
    ADD COLUMN IF NOT EXISTS specific_yield DECIMAL(10,4) NULL;

CREATE INDEX IF NOT EXISTS ix_site_daily_kpis_org_day ON site_daily_kpis (org_id, day, site_id);
