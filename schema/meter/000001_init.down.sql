DROP TABLE IF EXISTS meter_readings;
DROP TABLE IF EXISTS meter_profiles;
