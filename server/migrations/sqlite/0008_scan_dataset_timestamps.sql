-- A dataset's recent scans (the datasets page's failed-checks trend, a dataset's health chart)
-- were found by joining every scan of the dataset to `scans` for its data timestamp, and scan rows
-- are wide (the raw payload): the datasets page read a thousand of them per dataset. The data
-- timestamp now lives beside the counts, and one index returns a dataset's scans newest first
-- with everything those pages show.
ALTER TABLE scan_datasets ADD COLUMN data_timestamp BIGINT;
UPDATE scan_datasets
    SET data_timestamp = (SELECT s.data_timestamp FROM scans s WHERE s.id = scan_datasets.scan_id);
CREATE INDEX scan_datasets_by_dataset_time ON scan_datasets (
    dataset_id, data_timestamp, scan_id, pass_count, warn_count, fail_count, not_evaluated_count
);
DROP INDEX scan_datasets_by_dataset;
