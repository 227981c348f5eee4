-- name: AddPeriod :execlastid
-- AddPeriod adds a time-of-use price period [start_time, end_time) to a tariff and returns its id.
INSERT INTO tariff_periods (tariff_id, direction, day_type, start_time, end_time, price_per_kwh)
VALUES (?, ?, ?, ?, ?, ?);

-- name: ListPeriods :many
-- ListPeriods returns a tariff's periods for one direction by start time.
SELECT id, tariff_id, direction, day_type, start_time, end_time, price_per_kwh
FROM tariff_periods
WHERE tariff_id = ? AND direction = ?
ORDER BY start_time, id
LIMIT 200;

-- name: PriceAt :one
-- PriceAt returns the price of a tariff and direction at a time of day on a weekday or weekend day; a day-specific period wins over an 'all' one.
SELECT id, price_per_kwh, day_type
FROM tariff_periods
WHERE tariff_id = sqlc.arg(tariff_id)
  AND direction = sqlc.arg(direction)
  AND day_type IN ('all', sqlc.arg(day_type))
  AND start_time <= sqlc.arg(time_of_day) AND end_time > sqlc.arg(time_of_day)
ORDER BY day_type = 'all', start_time DESC
LIMIT 1;

-- name: DeletePeriods :execrows
-- DeletePeriods removes a tariff's periods for one direction (before a new set is written).
DELETE FROM tariff_periods
WHERE tariff_id = ? AND direction = ?;
