//! Store errors, with the operation that failed.

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed an operation.
    #[error("{context}: {source}")]
    Database {
        /// What was being done.
        context: &'static str,
        /// The driver's error.
        source: sqlx::Error,
    },
    /// The SQLite ingest writer's connection refused or failed an operation.
    #[error("{context}: {source}")]
    Writer {
        /// What was being done.
        context: &'static str,
        /// The driver's error.
        source: rusqlite::Error,
    },
    /// A blocking task could not finish (it panicked or the runtime is shutting down).
    #[error("{context}: {source}")]
    Task {
        /// What was being done.
        context: &'static str,
        /// Why the task ended.
        source: tokio::task::JoinError,
    },
    /// Migrations could not be applied.
    #[error("applying migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A file-system operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The database holds a value the domain refuses (a corrupt row, say).
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    /// A caller's callback failed.
    #[error("{0}")]
    Callback(std::io::Error),
    /// The database URL is not one this build understands.
    #[error("{0}")]
    Config(String),
    /// The operation was refused: it would overwrite something (a file, a store).
    #[error("{0}")]
    Refused(String),
}

/// Result of a store operation.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Adds context to a driver error.
pub(crate) trait DbContext<T> {
    fn context(self, context: &'static str) -> Result<T>;
}

impl<T> DbContext<T> for Result<T, sqlx::Error> {
    fn context(self, context: &'static str) -> Result<T> {
        self.map_err(|source| StoreError::Database { context, source })
    }
}
