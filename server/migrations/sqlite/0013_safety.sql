-- no-transaction
-- A re-sent scan replaces the earlier one only when it comes from the same data source: two
-- teams that both run `soda scan -s daily -t 2026-12-06` against different data sources keep
-- both scans. SQLite cannot change a table's UNIQUE constraint, so `scans` is rebuilt the way
-- SQLite's ALTER TABLE documentation prescribes: foreign keys off (outside a transaction,
-- where the pragma has effect, or dropping `scans` would cascade into every result), copy,
-- drop, rename, check.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE scans_rebuilt (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    scan_definition_id BIGINT NOT NULL REFERENCES scan_definitions (id),
    default_data_source TEXT NOT NULL,
    data_timestamp BIGINT NOT NULL,
    scan_start_timestamp BIGINT NOT NULL,
    scan_end_timestamp BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    has_errors BIGINT NOT NULL,
    has_warnings BIGINT NOT NULL,
    has_failures BIGINT NOT NULL,
    pass_count BIGINT NOT NULL,
    warn_count BIGINT NOT NULL,
    fail_count BIGINT NOT NULL,
    not_evaluated_count BIGINT NOT NULL,
    error_count BIGINT NOT NULL,
    logs TEXT NOT NULL,
    payload TEXT NOT NULL,
    api_key_id TEXT,
    UNIQUE (scan_definition_id, default_data_source, data_timestamp)
);
INSERT INTO scans_rebuilt (id, scan_definition_id, default_data_source, data_timestamp,
    scan_start_timestamp, scan_end_timestamp, received_at, has_errors, has_warnings,
    has_failures, pass_count, warn_count, fail_count, not_evaluated_count, error_count, logs,
    payload, api_key_id)
SELECT id, scan_definition_id, default_data_source, data_timestamp, scan_start_timestamp,
    scan_end_timestamp, received_at, has_errors, has_warnings, has_failures, pass_count,
    warn_count, fail_count, not_evaluated_count, error_count, logs, payload, api_key_id
FROM scans;
-- Ids of deleted scans are never handed out again (a link to one must not open another).
DELETE FROM sqlite_sequence WHERE name = 'scans_rebuilt';
INSERT INTO sqlite_sequence (name, seq) SELECT 'scans_rebuilt', seq FROM sqlite_sequence WHERE name = 'scans';
DROP TABLE scans;
ALTER TABLE scans_rebuilt RENAME TO scans;
CREATE INDEX scans_by_data_timestamp ON scans (data_timestamp);

-- API keys may be limited to the data sources they write (a JSON array of names); NULL: all.
ALTER TABLE api_keys ADD COLUMN data_sources TEXT;

-- Each sign-in attempt is counted before its password is verified, so concurrent attempts
-- cannot all pass the throttle; `attempt` identifies the row of an attempt still in flight,
-- removed when it succeeds.
ALTER TABLE login_failures ADD COLUMN attempt TEXT;
CREATE INDEX login_failures_by_attempt ON login_failures (attempt);

CREATE INDEX samples_by_api_key ON samples (api_key_id, file_id);
PRAGMA foreign_key_check;
COMMIT;
PRAGMA foreign_keys = ON;
