DROP TABLE IF EXISTS daily_yields;
DROP TABLE IF EXISTS inverter_readings;
