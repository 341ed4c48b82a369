-- Since when each check's current outcome holds, kept current with its latest result
-- (`refresh_outcome_runs` in storage/scan_writes/rollups.rs, which also fills them in for the
-- checks stored before this migration): the data timestamp of the first result of the current
-- run of equal outcomes, how many results that run has, the latest passing result's data
-- timestamp, and how often the outcome changed among the last 20 results.
ALTER TABLE checks ADD COLUMN outcome_since BIGINT;
ALTER TABLE checks ADD COLUMN outcome_streak BIGINT NOT NULL DEFAULT 0;
ALTER TABLE checks ADD COLUMN recent_flips BIGINT NOT NULL DEFAULT 0;
ALTER TABLE checks ADD COLUMN last_pass_timestamp BIGINT;
-- A result's page lists the results it replaced: overwrites by the scan that replaced them.
CREATE INDEX scan_overwrites_by_new_scan ON scan_overwrites (new_scan_id);
