-- What the checks list's text search matches: the check's name, dataset and column,
-- lower-cased and joined by a unit separator (char 31). Written at ingest with Unicode case
-- rules (storage::scans::search_text); existing checks get SQLite's LOWER here, which lowers
-- ASCII only, as searches did until now; each is rewritten when its description next changes.
ALTER TABLE checks ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
UPDATE checks SET search_text = LOWER(name) || char(31)
    || LOWER(COALESCE((SELECT d.name FROM datasets d WHERE d.id = checks.dataset_id), ''))
    || char(31) || LOWER(COALESCE(column_name, ''));
