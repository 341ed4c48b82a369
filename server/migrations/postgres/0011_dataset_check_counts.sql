-- Each dataset's checks by latest outcome, kept current at ingest (and when a scan is deleted
-- or overwritten) like the checks' latest results: the datasets list and a dataset's page read
-- them from the dataset's row instead of grouping its checks on every request. Checks not yet
-- evaluated are the rest of checks_total.
ALTER TABLE datasets ADD COLUMN checks_total BIGINT NOT NULL DEFAULT 0;
ALTER TABLE datasets ADD COLUMN checks_pass BIGINT NOT NULL DEFAULT 0;
ALTER TABLE datasets ADD COLUMN checks_warn BIGINT NOT NULL DEFAULT 0;
ALTER TABLE datasets ADD COLUMN checks_fail BIGINT NOT NULL DEFAULT 0;
UPDATE datasets SET (checks_total, checks_pass, checks_warn, checks_fail) = (
    SELECT COUNT(*),
           COUNT(CASE WHEN c.latest_outcome = 'pass' THEN 1 END),
           COUNT(CASE WHEN c.latest_outcome = 'warn' THEN 1 END),
           COUNT(CASE WHEN c.latest_outcome = 'fail' THEN 1 END)
    FROM checks c WHERE c.dataset_id = datasets.id
);
