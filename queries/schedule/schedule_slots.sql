-- name: UpsertSlot :execrows
-- UpsertSlot writes the slot of a device starting at slot_start; a locked slot keeps its values
-- (1 = inserted, 2 = updated, 0 = unchanged or locked).
INSERT INTO schedule_slots (device_id, slot_start, plan_id, site_id, slot_minutes, mode, power_w, target_soc_pct, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON DUPLICATE KEY UPDATE
    plan_id = IF(locked, plan_id, VALUES(plan_id)),
    slot_minutes = IF(locked, slot_minutes, VALUES(slot_minutes)),
    mode = IF(locked, mode, VALUES(mode)),
    power_w = IF(locked, power_w, VALUES(power_w)),
    target_soc_pct = IF(locked, target_soc_pct, VALUES(target_soc_pct)),
    updated_at = IF(locked, updated_at, VALUES(updated_at));

-- name: SetSlotLocked :execrows
-- SetSlotLocked locks or unlocks a device's slot; 0 rows when nothing changed.
UPDATE schedule_slots SET locked = ? WHERE device_id = ? AND slot_start = ?;

-- name: CurrentSlot :one
-- CurrentSlot returns the device's slot covering at_ts (the latest one starting at or before it that has not ended).
SELECT device_id, slot_start, plan_id, site_id, slot_minutes, mode, power_w, target_soc_pct, locked, updated_at
FROM schedule_slots
WHERE device_id = sqlc.arg(device_id)
  AND slot_start <= sqlc.arg(at_ts)
  AND slot_start > sqlc.arg(at_ts) - INTERVAL 1 DAY
  AND slot_start + INTERVAL slot_minutes MINUTE > sqlc.arg(at_ts)
ORDER BY slot_start DESC
LIMIT 1;

-- name: ListSlotsForDevices :many
-- ListSlotsForDevices returns the slots of the given devices starting in [from_ts, to_ts), by device then time.
SELECT device_id, slot_start, plan_id, site_id, slot_minutes, mode, power_w, target_soc_pct, locked, updated_at
FROM schedule_slots
WHERE device_id IN (sqlc.slice(device_ids))
  AND slot_start >= sqlc.arg(from_ts) AND slot_start < sqlc.arg(to_ts)
ORDER BY device_id, slot_start
LIMIT ?;

-- name: PlanModeSummary :many
-- PlanModeSummary counts a plan's slots per mode and totals their energy (power times slot length).
SELECT mode,
       CAST(COUNT(*) AS SIGNED) AS slots,
       CAST(COALESCE(SUM(power_w * slot_minutes / 60), 0) AS DECIMAL(16,3)) AS energy_wh
FROM schedule_slots
WHERE plan_id = ?
GROUP BY mode
ORDER BY mode
LIMIT 4;

-- name: DeleteSlotsBefore :execrows
-- DeleteSlotsBefore removes a device's unlocked slots that started before before_ts.
DELETE FROM schedule_slots
WHERE device_id = sqlc.arg(device_id) AND slot_start < sqlc.arg(before_ts) AND locked = FALSE;
