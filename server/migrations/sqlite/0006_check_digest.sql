-- A digest of everything a check's row and identities hold (see `store_checks`): a scan that
-- re-sends a check unchanged then costs one lookup instead of rewriting it. NULL for checks
-- stored before this migration, which are rewritten once on their next scan.
ALTER TABLE checks ADD COLUMN digest TEXT;
