DROP TABLE IF EXISTS schedule_slots;
DROP TABLE IF EXISTS schedule_plans;
