-- PostgreSQL's 0004 tunes page fill for in-place updates; SQLite has no such setting. Kept so
-- that both engines run the same numbered migrations.
SELECT 1;
