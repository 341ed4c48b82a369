-- The same reasoning as 0008, for the rows a scan writes when it brings new checks: checks and
-- their identities are written only by the scan transaction, with data source, dataset and
-- check ids it has just looked up or created in that transaction, and no data source, dataset
-- or check is ever deleted. Their foreign keys guarded nothing that code does not, and cost a
-- lookup per inserted row (3,000 identity rows and 1,000 checks for a scan of 1,000 new checks),
-- each taking a key-share lock on the referenced row: concurrent scans of one dataset all
-- locked that dataset's row, over and over, and the scan's own later UPDATE of its new checks
-- found every one of them locked. Measured on such a scan alone: inserting the checks 21.6 →
-- 15.5 ms, their identities 24.7 → 13.6 ms, moving their latest results 12.0 → 4.8 ms; the
-- scan 116 → 92–97 ms. SQLite, where the check is cheap, keeps them.
ALTER TABLE checks DROP CONSTRAINT checks_data_source_id_fkey;
ALTER TABLE checks DROP CONSTRAINT checks_dataset_id_fkey;
ALTER TABLE check_identities DROP CONSTRAINT check_identities_check_id_fkey;
