-- The scan-results store fed by Soda Core's Soda Cloud protocol. Times are UTC epoch
-- milliseconds (BIGINT): they sort and compare the same on both engines. JSON is kept as TEXT.
-- Flags are BIGINT 0/1: sqlx's Any driver cannot decode SQLite's boolean columns.

-- API keys: the secret only as an argon2 hash; tokens (from `login`) only as SHA-256 hashes.
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY,
    api_key_id TEXT NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX api_tokens_by_key ON api_tokens (api_key_id);

-- Check attributes Soda Core may use (it skips a whole scan that uses an unknown one).
CREATE TABLE attribute_definitions (
    name TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    attribute_type TEXT NOT NULL,
    allowed_values TEXT,
    created_at BIGINT NOT NULL
);

CREATE TABLE data_sources (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE
);

-- One row per dataset, with its status kept current at ingest: the scan with the newest data
-- timestamp that covered it, and whether that scan failed.
CREATE TABLE datasets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    data_source_id BIGINT NOT NULL REFERENCES data_sources (id),
    name TEXT NOT NULL,
    last_scan_id BIGINT,
    last_scan_data_timestamp BIGINT,
    last_scan_failed BIGINT NOT NULL DEFAULT 0,
    UNIQUE (data_source_id, name)
);

CREATE TABLE scan_definitions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE
);

-- One row per received scan. (scan_definition_id, data_timestamp) is the natural key: a scan
-- sent again with both equal replaces the earlier one (see scan_overwrites).
CREATE TABLE scans (
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
    UNIQUE (scan_definition_id, data_timestamp)
);
CREATE INDEX scans_by_data_timestamp ON scans (data_timestamp);

-- Which datasets a scan covered (checks, queries, profiling, known metric identities).
CREATE TABLE scan_datasets (
    scan_id BIGINT NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
    dataset_id BIGINT NOT NULL REFERENCES datasets (id),
    PRIMARY KEY (scan_id, dataset_id)
);
CREATE INDEX scan_datasets_by_dataset ON scan_datasets (dataset_id);

-- One row per check, keyed by its primary identity (v4 when the check sets `identity:`, else
-- v3), with its latest result kept current at ingest.
CREATE TABLE checks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    identity TEXT NOT NULL UNIQUE,
    data_source_id BIGINT NOT NULL REFERENCES data_sources (id),
    dataset_id BIGINT REFERENCES datasets (id),
    name TEXT NOT NULL,
    check_type TEXT NOT NULL,
    definition TEXT NOT NULL,
    file_path TEXT,
    line BIGINT,
    col BIGINT,
    column_name TEXT,
    attributes TEXT NOT NULL,
    metrics TEXT NOT NULL,
    group_identity TEXT,
    group_name TEXT,
    latest_result_id BIGINT,
    latest_data_timestamp BIGINT,
    latest_outcome TEXT,
    latest_value DOUBLE PRECISION,
    latest_scan_id BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX checks_by_name ON checks (name);
CREATE INDEX checks_by_dataset ON checks (dataset_id);
CREATE INDEX checks_by_data_source ON checks (data_source_id);

-- Every identity version a check was seen with (v1..v4): historic queries use v1.
CREATE TABLE check_identities (
    identity TEXT NOT NULL,
    version TEXT NOT NULL,
    check_id BIGINT NOT NULL REFERENCES checks (id) ON DELETE CASCADE,
    PRIMARY KEY (identity, version, check_id)
);
CREATE INDEX check_identities_by_check ON check_identities (check_id);

CREATE TABLE check_results (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    check_id BIGINT NOT NULL REFERENCES checks (id),
    scan_id BIGINT NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
    data_timestamp BIGINT NOT NULL,
    outcome TEXT,
    value DOUBLE PRECISION,
    diagnostics TEXT NOT NULL,
    outcome_reasons TEXT,
    -- The check's first metric: joins a result to the measurement it judged (anomaly history).
    metric_identity TEXT,
    name TEXT NOT NULL,
    definition TEXT NOT NULL
);
CREATE INDEX check_results_by_check_time ON check_results (check_id, data_timestamp);
CREATE INDEX check_results_by_scan ON check_results (scan_id);

-- Metric values by metric identity: the history change-over-time and anomaly checks ask for.
CREATE TABLE measurements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    scan_id BIGINT NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
    metric_identity TEXT NOT NULL,
    metric_name TEXT NOT NULL,
    value DOUBLE PRECISION,
    value_json TEXT,
    data_timestamp BIGINT NOT NULL
);
CREATE INDEX measurements_by_identity_time ON measurements (metric_identity, data_timestamp);
CREATE INDEX measurements_by_scan ON measurements (scan_id);

-- Failed-row samples (JSON Lines as uploaded), linked to the check result that references them.
CREATE TABLE samples (
    file_id TEXT PRIMARY KEY,
    file_path TEXT NOT NULL,
    content TEXT NOT NULL,
    row_count BIGINT NOT NULL,
    byte_count BIGINT NOT NULL,
    uploaded_at BIGINT NOT NULL,
    api_key_id TEXT,
    check_result_id BIGINT REFERENCES check_results (id) ON DELETE SET NULL,
    columns TEXT
);
CREATE INDEX samples_by_check_result ON samples (check_result_id);

-- What an overwrite replaced: the earlier scan's id and its check outcomes and values.
CREATE TABLE scan_overwrites (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    replaced_at BIGINT NOT NULL,
    scan_definition_id BIGINT NOT NULL REFERENCES scan_definitions (id),
    data_timestamp BIGINT NOT NULL,
    old_scan_id BIGINT NOT NULL,
    new_scan_id BIGINT NOT NULL,
    old_results TEXT NOT NULL
);
