-- A run that Soda Core 4 reports in batches (a managed run: `SODA_SCAN_ID` set): opened by
-- `sodaCoreScanStart`, its results document (`sodaCoreInsertScanDataBatch`) and streamed logs
-- (`/api/logs/{scanId}/batchV4`) held here until `sodaCoreScanEndAsync` stores them as one
-- scan, as Soda Cloud ingests them only then. `run_id` is the client's SODA_SCAN_ID.
CREATE TABLE batched_runs (
    reference TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    definition TEXT NOT NULL,
    data_source TEXT NOT NULL,
    data_timestamp TEXT,
    api_key_id TEXT,
    state TEXT NOT NULL,
    document TEXT,
    scan_id BIGINT,
    created_at BIGINT NOT NULL,
    ended_at BIGINT
);
CREATE INDEX batched_runs_by_run_id ON batched_runs (run_id, created_at);
-- Streamed log lines; delivery is at least once, so a line is known by its thread and index.
CREATE TABLE batched_run_logs (
    reference TEXT NOT NULL,
    thread TEXT NOT NULL,
    line_index BIGINT NOT NULL,
    line TEXT NOT NULL,
    PRIMARY KEY (reference, thread, line_index)
);
