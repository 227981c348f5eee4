DROP TABLE IF EXISTS firmware_updates;
