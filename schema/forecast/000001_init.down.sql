DROP TABLE IF EXISTS load_forecasts;
DROP TABLE IF EXISTS pv_forecasts;
DROP TABLE IF EXISTS forecast_runs;
