-- Site-wide yield reports read daily_yields by site and day.
CREATE INDEX IF NOT EXISTS idx_daily_yields_site_day ON daily_yields (site_id, day);
