-- Check results and measurements are written only by the scan transaction that creates their
-- scan, for checks that are never deleted, and a scan's rows are deleted explicitly with it
-- (`remove_scan`). Their foreign keys guarded nothing that code does not, and cost 14 ms of
-- every 1,000-check scan: PostgreSQL checks each inserted row with its own lookup, which also
-- takes a key-share lock on, and so dirties, every referenced checks row. SQLite, where the
-- check is cheap, keeps them.
ALTER TABLE check_results DROP CONSTRAINT check_results_check_id_fkey;
ALTER TABLE check_results DROP CONSTRAINT check_results_scan_id_fkey;
ALTER TABLE measurements DROP CONSTRAINT measurements_scan_id_fkey;
