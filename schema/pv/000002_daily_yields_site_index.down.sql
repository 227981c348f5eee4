DROP INDEX IF EXISTS idx_daily_yields_site_day ON daily_yields;
