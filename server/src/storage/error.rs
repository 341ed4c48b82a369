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
    #[error("database query failed: {0}")]
    Query(#[from] sqlx::Error),
}
