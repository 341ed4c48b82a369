-- Every scan moves each check's and each dataset's latest-result columns forward. Leave room in
-- each page so that PostgreSQL can update those rows in place (HOT updates: no new index
-- entries), instead of piling up dead versions that every checks-list query then wades through.
ALTER TABLE checks SET (fillfactor = 50, autovacuum_vacuum_scale_factor = 0.02);
ALTER TABLE datasets SET (fillfactor = 50, autovacuum_vacuum_scale_factor = 0.02);
