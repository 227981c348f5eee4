DROP TABLE IF EXISTS daily_cycles;
DROP TABLE IF EXISTS battery_states;
DROP TABLE IF EXISTS battery_readings;
