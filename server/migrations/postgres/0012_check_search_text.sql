-- What the checks list's text search matches: the check's name, dataset and column,
-- lower-cased and joined by a unit separator (chr 31), written at ingest
-- (storage::scans::search_text). One LIKE on one column instead of LOWER over three columns
-- of every check, which under a libc locale converts each to wide characters.
ALTER TABLE checks ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
UPDATE checks SET search_text = LOWER(name COLLATE "default") || chr(31)
    || LOWER(COALESCE((SELECT d.name FROM datasets d WHERE d.id = checks.dataset_id), '') COLLATE "default")
    || chr(31) || LOWER(COALESCE(column_name, '') COLLATE "default");
