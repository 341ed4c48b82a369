-- Soda Core 4 uploads the contract file it verifies (`sodaCoreUploadContractFile`) before
-- sending the results that reference it: the text is kept, and each scan names the file it
-- verified.
CREATE TABLE contract_files (
    id TEXT PRIMARY KEY,
    contents TEXT NOT NULL,
    api_key_id TEXT,
    created_at BIGINT NOT NULL
);
ALTER TABLE scans ADD COLUMN contract_file_id TEXT;
