-- Labor hours booked per visit, and an index for a technician's schedule.
ALTER TABLE technician_visits
    ADD COLUMN IF NOT EXISTS labor_hours DECIMAL(6,2) NOT NULL DEFAULT 0;

CREATE INDEX IF NOT EXISTS ix_technician_visits_schedule ON technician_visits (technician_id, scheduled_start);
