-- name: ScheduleVisit :execlastid
-- ScheduleVisit books a technician visit for a work order and returns its id.
INSERT INTO technician_visits (work_order_id, technician_id, scheduled_start, scheduled_end)
VALUES (sqlc.arg(work_order_id), sqlc.arg(technician_id), sqlc.arg(scheduled_start), sqlc.arg(scheduled_end));

-- name: ListTechnicianVisits :many
-- ListTechnicianVisits returns a technician's visits starting in [from, to), with the work order's site.
SELECT v.id, v.work_order_id, w.site_id, w.title, v.scheduled_start, v.scheduled_end, v.departed_at, v.labor_hours
FROM technician_visits v
JOIN work_orders w ON w.id = v.work_order_id
WHERE v.technician_id = sqlc.arg(technician_id)
  AND v.scheduled_start >= sqlc.arg(from_ts) AND v.scheduled_start < sqlc.arg(to_ts)
ORDER BY v.scheduled_start, v.id
LIMIT ?;

-- name: RecordVisitDeparture :execrows
-- RecordVisitDeparture closes a visit with arrival, departure, labor hours and notes; 0 rows if already closed.
UPDATE technician_visits
SET arrived_at = CAST(sqlc.arg(arrived_at) AS DATETIME(6)),
    departed_at = CAST(sqlc.arg(departed_at) AS DATETIME(6)),
    labor_hours = sqlc.arg(labor_hours),
    notes = sqlc.narg(notes)
WHERE id = sqlc.arg(id) AND departed_at IS NULL;
