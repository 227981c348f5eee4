-- When a run finished, and the index that finds a site's latest complete run.
ALTER TABLE forecast_runs
    ADD COLUMN IF NOT EXISTS completed_at DATETIME(6) NULL AFTER status;

CREATE INDEX IF NOT EXISTS idx_runs_site_kind_status_issued ON forecast_runs (site_id, kind, status, issued_at);
