-- When this Seltzer database was created; one row. Later migrations add the scan-results store.
CREATE TABLE instance (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    created_at TEXT NOT NULL
);
INSERT INTO instance (singleton, created_at)
VALUES (1, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'));
