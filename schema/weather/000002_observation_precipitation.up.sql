-- Precipitation (used for soiling/cleaning estimates) on every observation.
ALTER TABLE observations
    ADD COLUMN IF NOT EXISTS precipitation_mm DOUBLE NOT NULL DEFAULT 0 AFTER wind_speed_m_s;
