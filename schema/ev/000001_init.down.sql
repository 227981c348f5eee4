DROP TABLE IF EXISTS session_meter_values;
DROP TABLE IF EXISTS charging_sessions;
DROP TABLE IF EXISTS connectors;
DROP TABLE IF EXISTS chargers;
