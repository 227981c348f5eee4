DROP INDEX IF EXISTS ix_technician_visits_schedule ON technician_visits;

ALTER TABLE technician_visits
    DROP COLUMN IF EXISTS labor_hours;
