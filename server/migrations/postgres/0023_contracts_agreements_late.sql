-- Soda Core 4 runs: a data source's data source file for `soda contract verify` (what it holds
-- besides `type` and `name`, such as `connection:`), beside the Soda Core 3 properties.
ALTER TABLE data_sources ADD COLUMN configuration_v4 TEXT;

-- Agreements: the users (emails, a JSON list) who must approve a definition's current version
-- before its schedule runs it. Approvals are per version, so an edit asks again.
ALTER TABLE scan_definitions ADD COLUMN stakeholders TEXT;
CREATE TABLE scan_definition_approvals (
    definition_id BIGINT NOT NULL REFERENCES scan_definitions (id) ON DELETE CASCADE,
    version BIGINT NOT NULL,
    approver TEXT NOT NULL,
    approved_at BIGINT NOT NULL,
    PRIMARY KEY (definition_id, version, approver)
);

-- "Scan late": which rule told about which scheduled run. The row is the claim, so several
-- Seltzers tell each once.
CREATE TABLE notification_run_late (
    rule_id BIGINT NOT NULL,
    run_id BIGINT NOT NULL REFERENCES scan_runs (id) ON DELETE CASCADE,
    told_at BIGINT NOT NULL,
    PRIMARY KEY (rule_id, run_id)
);

-- Dry runs run checks that are not saved (kept on the run, not as a version) and store no
-- scan: their outcomes stay on the run.
ALTER TABLE scan_runs ADD COLUMN checks TEXT;
ALTER TABLE scan_runs ADD COLUMN outcomes TEXT;
