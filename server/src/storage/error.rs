//! The storage layer's one error type.

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error(
        "unsupported database URL {0}: use sqlite://PATH or postgres://USER@HOST:PORT/DATABASE"
    )]
    UnsupportedUrl(String),
    #[error("cannot connect to the database {url}: {source}")]
    Connect { url: String, source: sqlx::Error },
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("cannot lock the SQLite file for migrating: {0}")]
    Lock(std::io::Error),
    #[error("hashing a secret failed: {0}")]
    Hash(String),
    #[error("unexpected data in the database: {0}")]
    Corrupt(String),
    /// A re-sent scan would replace one that another API key sent, and this key may not.
    #[error(
        "scan definition '{definition}' already has a scan of data source '{data_source}' at \
         data timestamp {data_timestamp}, sent by another API key; only an editor or admin key \
         may replace it (or send this one with another -s scan definition or -t data timestamp)"
    )]
    OverwriteRefused {
        definition: String,
        data_source: String,
        data_timestamp: String,
    },
    #[error("backup failed: {0}")]
    Backup(String),
    #[error(transparent)]
    Busy(#[from] crate::credentials::Busy),
    #[error("database query failed: {0}")]
    Query(#[from] sqlx::Error),
}
