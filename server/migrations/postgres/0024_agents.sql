-- Agents: `seltzer agent` processes that run the scans of the data sources naming them, near
-- the data (on another network). An agent's key is a random 256-bit token kept as its SHA-256,
-- as session tokens are: it is checked on every poll, too often for argon2.
CREATE TABLE agents (
    name TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    last_seen_at BIGINT,
    -- What the agent last said of itself: its host name, its version and Soda Cores.
    last_host TEXT,
    last_version TEXT
);

-- The agent that runs a data source's scans; none: the Seltzer processes do.
ALTER TABLE data_sources ADD COLUMN agent TEXT REFERENCES agents (name);
