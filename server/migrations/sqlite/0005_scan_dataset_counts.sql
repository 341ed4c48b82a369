-- Each scan's outcome counts per dataset, kept at ingest: a dataset's health chart (pass / warn /
-- fail per scan) then reads one row per scan instead of counting every check result. Scans stored
-- before this migration have NULL counts and are counted from their results when read.
ALTER TABLE scan_datasets ADD COLUMN pass_count BIGINT;
ALTER TABLE scan_datasets ADD COLUMN warn_count BIGINT;
ALTER TABLE scan_datasets ADD COLUMN fail_count BIGINT;
ALTER TABLE scan_datasets ADD COLUMN not_evaluated_count BIGINT;
