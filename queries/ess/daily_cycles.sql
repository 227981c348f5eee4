-- name: UpsertDailyCycles :execrows
-- UpsertDailyCycles stores a battery's cycle count for a day, replacing an earlier value: 1 row for an insert, 2 for an update.
INSERT INTO daily_cycles (device_id, day, cycles, energy_in_wh, energy_out_wh, min_soc_pct, max_soc_pct)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON DUPLICATE KEY UPDATE
    cycles = VALUES(cycles),
    energy_in_wh = VALUES(energy_in_wh),
    energy_out_wh = VALUES(energy_out_wh),
    min_soc_pct = VALUES(min_soc_pct),
    max_soc_pct = VALUES(max_soc_pct);

-- name: ListDailyCycles :many
-- ListDailyCycles returns a battery's daily cycles for the days in [from_day, to_day], oldest first.
SELECT day, cycles, energy_in_wh, energy_out_wh, min_soc_pct, max_soc_pct
FROM daily_cycles
WHERE device_id = sqlc.arg(device_id)
  AND day BETWEEN sqlc.arg(from_day) AND sqlc.arg(to_day)
ORDER BY day
LIMIT 366;
