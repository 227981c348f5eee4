-- API keys may expire; the lookup of a key by prefix checks the expiry.
ALTER TABLE api_keys
    ADD COLUMN IF NOT EXISTS expires_at DATETIME(6) NULL AFTER created_at;

CREATE INDEX IF NOT EXISTS idx_api_keys_expires ON api_keys (expires_at);
