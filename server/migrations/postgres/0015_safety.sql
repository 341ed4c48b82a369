-- A re-sent scan replaces the earlier one only when it comes from the same data source: two
-- teams that both run `soda scan -s daily -t 2026-12-06` against different data sources keep
-- both scans.
ALTER TABLE scans DROP CONSTRAINT scans_scan_definition_id_data_timestamp_key;
ALTER TABLE scans ADD CONSTRAINT scans_natural_key
    UNIQUE (scan_definition_id, default_data_source, data_timestamp);

-- API keys may be limited to the data sources they write (a JSON array of names); NULL: all.
ALTER TABLE api_keys ADD COLUMN data_sources TEXT;

-- Each sign-in attempt is counted before its password is verified, so concurrent attempts
-- cannot all pass the throttle; `attempt` identifies the row of an attempt still in flight,
-- removed when it succeeds.
ALTER TABLE login_failures ADD COLUMN attempt TEXT;
CREATE INDEX login_failures_by_attempt ON login_failures (attempt);

-- Failed-row samples are found by the check results of a scan when it is deleted.
CREATE INDEX IF NOT EXISTS samples_by_api_key ON samples (api_key_id, file_id);
