DROP TABLE IF EXISTS rollup_jobs;
DROP TABLE IF EXISTS site_daily_kpis;
