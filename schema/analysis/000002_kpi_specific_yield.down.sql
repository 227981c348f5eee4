DROP INDEX IF EXISTS ix_site_daily_kpis_org_day ON site_daily_kpis;

ALTER TABLE site_daily_kpis
    DROP COLUMN IF EXISTS specific_yield;
