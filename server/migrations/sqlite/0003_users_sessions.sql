-- People who sign in to the dashboard, their sessions, and failed sign-ins (for throttling).
-- Passwords only as argon2 hashes, session tokens only as SHA-256 hashes.
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

-- One row per failed sign-in, keyed by 'account:<email>' or 'address:<ip>'.
CREATE TABLE login_failures (
    throttle_key TEXT NOT NULL,
    failed_at BIGINT NOT NULL
);
CREATE INDEX login_failures_by_key ON login_failures (throttle_key, failed_at);

-- API keys act with a role: the role of the user who made them, or the one given to
-- `seltzer api-key create --role` (viewer by default: enough for Soda Core to send scans).
ALTER TABLE api_keys ADD COLUMN role TEXT NOT NULL DEFAULT 'viewer';
ALTER TABLE api_keys ADD COLUMN user_id BIGINT REFERENCES users (id);
