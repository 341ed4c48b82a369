-- Soda Core 4 uploads the contract file it verifies or publishes (`sodaCoreUploadContractFile`)
-- before the command that names it: the text is kept, each scan names the file it verified,
-- and each publication (`soda contract publish`) the file it made the dataset's contract.
CREATE TABLE contract_files (
    id TEXT PRIMARY KEY,
    contents TEXT NOT NULL,
    api_key_id TEXT,
    created_at BIGINT NOT NULL
);
ALTER TABLE scans ADD COLUMN contract_file_id TEXT;
-- Every publication is kept; a dataset's contract in force is its latest.
CREATE TABLE published_contracts (
    id BIGSERIAL PRIMARY KEY,
    data_source TEXT NOT NULL,
    dataset TEXT NOT NULL,
    file_id TEXT NOT NULL,
    api_key_id TEXT,
    published_at BIGINT NOT NULL
);
CREATE INDEX published_contracts_by_dataset ON published_contracts (data_source, dataset, id);
-- A dataset's columns as the newest scan that reported them said (`metadata[].schema`).
CREATE TABLE dataset_columns (
    dataset_id BIGINT NOT NULL,
    position BIGINT NOT NULL,
    name TEXT NOT NULL,
    source_type TEXT,
    data_timestamp BIGINT NOT NULL,
    PRIMARY KEY (dataset_id, name)
);
