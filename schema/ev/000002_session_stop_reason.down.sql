DROP INDEX IF EXISTS idx_sessions_user_started ON charging_sessions;

ALTER TABLE charging_sessions DROP COLUMN IF EXISTS stop_reason;
