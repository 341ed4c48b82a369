-- Seltzer runs scans. A data source gains the Soda configuration of its warehouse (its
-- connection properties as YAML; secrets are references, resolved when a scan starts) and a
-- limit on scans at once. Secrets are stored encrypted (XChaCha20-Poly1305, the key from
-- SELTZER_SECRET_KEY, the secret's name as associated data; both in base64).
ALTER TABLE data_sources ADD COLUMN source_type TEXT;
ALTER TABLE data_sources ADD COLUMN configuration TEXT;
ALTER TABLE data_sources ADD COLUMN max_concurrent BIGINT NOT NULL DEFAULT 1;
ALTER TABLE data_sources ADD COLUMN configured_at BIGINT;

CREATE TABLE secrets (
    name TEXT PRIMARY KEY,
    nonce TEXT NOT NULL,
    ciphertext TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- A scan definition (the name pushed scans are filed under, too) gains what Seltzer runs:
-- checks, data source, schedule (cron in a zone). Configured definitions have an engine.
-- `version` counts edits; every version is kept, and each run records the one it ran.
-- `next_fire_at` moves by compare-and-set, so one process creates each scheduled run.
ALTER TABLE scan_definitions ADD COLUMN data_source_id BIGINT REFERENCES data_sources (id);
ALTER TABLE scan_definitions ADD COLUMN engine TEXT;
ALTER TABLE scan_definitions ADD COLUMN checks TEXT;
ALTER TABLE scan_definitions ADD COLUMN variables TEXT;
ALTER TABLE scan_definitions ADD COLUMN cron TEXT;
ALTER TABLE scan_definitions ADD COLUMN timezone TEXT;
ALTER TABLE scan_definitions ADD COLUMN timeout_seconds BIGINT;
ALTER TABLE scan_definitions ADD COLUMN max_attempts BIGINT;
ALTER TABLE scan_definitions ADD COLUMN paused BIGINT NOT NULL DEFAULT 0;
ALTER TABLE scan_definitions ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE scan_definitions ADD COLUMN next_fire_at BIGINT;
ALTER TABLE scan_definitions ADD COLUMN configured_at BIGINT;
ALTER TABLE scan_definitions ADD COLUMN updated_at BIGINT;

CREATE TABLE scan_definition_versions (
    definition_id BIGINT NOT NULL REFERENCES scan_definitions (id) ON DELETE CASCADE,
    version BIGINT NOT NULL,
    body TEXT NOT NULL,
    author TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (definition_id, version)
);

-- A run of a definition, in Soda Cloud's states. A scheduled run is unique per fire time, so
-- several processes ticking at once create it once. An executing run belongs to its worker
-- while its lease lasts; a lapsed lease means the process died, and any process takes over.
CREATE TABLE scan_runs (
    id BIGSERIAL PRIMARY KEY,
    definition_id BIGINT NOT NULL REFERENCES scan_definitions (id) ON DELETE CASCADE,
    version BIGINT NOT NULL,
    origin TEXT NOT NULL,
    scheduled_for BIGINT,
    data_timestamp BIGINT NOT NULL,
    state TEXT NOT NULL,
    attempt BIGINT NOT NULL DEFAULT 1,
    worker TEXT,
    lease_until BIGINT,
    exit_code BIGINT,
    error TEXT,
    scan_id BIGINT,
    requested_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    started_at BIGINT,
    ended_at BIGINT,
    UNIQUE (definition_id, scheduled_for)
);
CREATE INDEX scan_runs_by_state ON scan_runs (state, id);
CREATE INDEX scan_runs_by_definition ON scan_runs (definition_id, id);

CREATE TABLE scan_run_logs (
    run_id BIGINT NOT NULL REFERENCES scan_runs (id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    stream TEXT NOT NULL,
    line TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
);

-- The key a run's Soda Core sends its results with: it may send that run's scan only, and is
-- revoked when the run ends.
ALTER TABLE api_keys ADD COLUMN run_id BIGINT;
