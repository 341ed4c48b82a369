-- Set with each move of a check's latest result: 1 when it changed the check's latest outcome
-- (or gave the check its first), else 0. Ingest reads it back from that same UPDATE, so it
-- recounts the check counts (dataset_check_counts) of only those checks' datasets:
-- a rescan with unchanged outcomes recounts nothing.
ALTER TABLE checks ADD COLUMN latest_outcome_changed BIGINT NOT NULL DEFAULT 0;
