-- Email channels: the SMTP server and addresses as JSON (the password stays in `secret`,
-- write-only like a webhook's signing secret).
ALTER TABLE notification_channels ADD COLUMN email TEXT;
-- "No scan of this dataset for N hours": each (rule, dataset, last scan) is told once. The
-- primary key is the claim: of several Seltzers finding the same quiet dataset, the one whose
-- insert lands sends.
CREATE TABLE notification_overdue (
    rule_id BIGINT NOT NULL,
    dataset_id BIGINT NOT NULL,
    last_scan_id BIGINT NOT NULL,
    notified_at BIGINT NOT NULL,
    PRIMARY KEY (rule_id, dataset_id, last_scan_id)
);
