DROP TABLE IF EXISTS meter_registers;
