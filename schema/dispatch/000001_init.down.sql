DROP TABLE IF EXISTS command_results;
DROP TABLE IF EXISTS command_attempts;
DROP TABLE IF EXISTS commands;
