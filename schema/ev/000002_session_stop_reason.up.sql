-- Why a session ended, and the index behind a user's session history.
ALTER TABLE charging_sessions
    ADD COLUMN IF NOT EXISTS stop_reason ENUM('local','remote','evdisconnected','powerloss','other') NULL AFTER energy_wh;

CREATE INDEX IF NOT EXISTS idx_sessions_user_started ON charging_sessions (user_id, started_at);
