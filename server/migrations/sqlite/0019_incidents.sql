-- Incidents: a failing check's investigation, led by a user until it is resolved. Its number
-- is its id. Linked results are kept by id with their check, without a foreign key: a result
-- replaced by a newer scan of the same time, or deleted with its scan, leaves the link (and
-- the check) on the incident's record.
CREATE TABLE incidents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    severity TEXT NOT NULL,
    status TEXT NOT NULL,
    lead_email TEXT,
    reporter TEXT NOT NULL,
    resolution_notes TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    resolved_at BIGINT,
    -- The secret part of the address a ticketing system calls back with its link.
    callback_token TEXT NOT NULL
);
CREATE INDEX incidents_by_status ON incidents (status, id);
CREATE TABLE incident_results (
    incident_id BIGINT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    result_id BIGINT NOT NULL,
    check_id BIGINT NOT NULL,
    linked_at BIGINT NOT NULL,
    linked_by TEXT NOT NULL,
    PRIMARY KEY (incident_id, result_id)
);
CREATE INDEX incident_results_by_check ON incident_results (check_id);
-- The timeline: every change with who made it and when; comments too.
CREATE TABLE incident_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id BIGINT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    from_value TEXT,
    to_value TEXT
);
CREATE INDEX incident_events_by_incident ON incident_events (incident_id, id);
-- A channel receives incident events (incidentCreated, incidentUpdated) only when it says so.
ALTER TABLE notification_channels ADD COLUMN incidents BIGINT NOT NULL DEFAULT 0;
-- Links to the incident's tickets elsewhere (Jira, ServiceNow…): from a receiver's answer to
-- an incident event, or from its call back to `incidentLinkCallbackUrl`.
CREATE TABLE incident_links (
    incident_id BIGINT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    text TEXT NOT NULL,
    source TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (incident_id, url)
);
