-- A check's history (the dashboard's trend chart, Soda Core's historic check results) reads every
-- result of one check in a time range. Results are stored scan by scan, so one check's results lie
-- one per table page: 90 days of a check read 720 pages through the (check_id, data_timestamp)
-- index. This index carries the columns those reads need, in history order, so they read a few
-- contiguous index pages instead; it replaces the narrower index, which it makes redundant.
CREATE INDEX check_results_history
    ON check_results (check_id, data_timestamp, id, scan_id, value, outcome, diagnostics);
DROP INDEX check_results_by_check_time;
