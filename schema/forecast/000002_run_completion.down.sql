DROP INDEX IF EXISTS idx_runs_site_kind_status_issued ON forecast_runs;

ALTER TABLE forecast_runs DROP COLUMN IF EXISTS completed_at;
