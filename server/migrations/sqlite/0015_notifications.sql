-- Notifications. Channels hold where messages go (their URL, headers and secret are
-- write-only through the API); rules say which results go where; deliveries are the outbox:
-- written in the scan's own transaction, sent by a background task that claims each one
-- (`claimed_until`) so several Seltzers on one database send it once.
CREATE TABLE notification_channels (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    channel_type TEXT NOT NULL,
    url TEXT NOT NULL,
    headers TEXT NOT NULL,
    secret TEXT,
    created_at BIGINT NOT NULL
);
CREATE TABLE notification_rules (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    definition TEXT NOT NULL,
    paused BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- What a rule last told about a check: `onChange` and suppression read it.
CREATE TABLE notification_states (
    rule_id BIGINT NOT NULL,
    check_id BIGINT NOT NULL,
    notified_outcome TEXT,
    notified_at BIGINT NOT NULL,
    PRIMARY KEY (rule_id, check_id)
);
CREATE TABLE notification_deliveries (
    id TEXT PRIMARY KEY,
    channel_id BIGINT NOT NULL,
    event TEXT NOT NULL,
    scan_id BIGINT,
    notice TEXT NOT NULL,
    checks BIGINT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    claimed_until BIGINT,
    last_response TEXT,
    created_at BIGINT NOT NULL,
    delivered_at BIGINT
);
CREATE INDEX notification_deliveries_due ON notification_deliveries (status, next_attempt_at);
CREATE INDEX notification_deliveries_by_time ON notification_deliveries (created_at);
