-- name: CreateAlarmRule :execlastid
-- CreateAlarmRule adds an alarm rule for an organization and returns its id.
INSERT INTO alarm_rules (org_id, name, metric, comparator, threshold, severity, enabled)
VALUES (sqlc.arg(org_id), sqlc.arg(name), sqlc.arg(metric), sqlc.arg(comparator),
        sqlc.arg(threshold), sqlc.arg(severity), sqlc.arg(enabled));

-- name: ListEnabledAlarmRules :many
-- ListEnabledAlarmRules pages through an organization's enabled rules by id (keyset).
SELECT id, org_id, name, metric, comparator, threshold, severity, enabled, created_at, updated_at
FROM alarm_rules
WHERE org_id = sqlc.arg(org_id) AND enabled = TRUE AND id > sqlc.arg(after_id)
ORDER BY id
LIMIT ?;

-- name: SetAlarmRuleEnabled :exec
-- SetAlarmRuleEnabled switches a rule on or off.
UPDATE alarm_rules SET enabled = sqlc.arg(enabled) WHERE id = sqlc.arg(id);
