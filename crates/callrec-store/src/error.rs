use crate::Backend;

/// Everything that can go wrong below the web layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint refused the write; `what` says which value clashed.
    #[error("{what} already exists")]
    Conflict { what: &'static str },
    #[error("not found")]
    NotFound,
    #[error("the database URL must start with postgres:// or sqlite:")]
    UnsupportedUrl,
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot connect to {}: {source}", backend.name())]
    Connect {
        backend: Backend,
        source: sqlx::Error,
    },
    #[error("migration {version} failed: {source}")]
    Migration { version: i64, source: sqlx::Error },
    #[error("the database is newer than this program (migration {0} is unknown); upgrade callrec")]
    UnknownMigration(i64),
    /// A stored value this program cannot read (hand-edited database?).
    #[error("unreadable stored value: {0}")]
    Corrupt(String),
    /// No connection came free in time: the database is overloaded.
    #[error("the database is busy")]
    Busy,
    #[error("database error: {0}")]
    Database(sqlx::Error),
    #[error("the CDR database URL must start with mysql:// or mariadb://")]
    UnsupportedCdrUrl,
    /// FreePBX's CDR database could not be reached, or has no `cdr` table.
    #[error("cannot read FreePBX's CDR table: {0}")]
    CdrConnect(sqlx::Error),
    /// Reading or writing an audio file failed.
    #[error("audio storage: {0}")]
    Audio(std::io::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::PoolTimedOut => StoreError::Busy,
            other => StoreError::Database(other),
        }
    }
}

impl StoreError {
    /// Turns a unique violation into `Conflict`, leaving other errors alone.
    pub(crate) fn conflict_as(what: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
        move |err| match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict { what },
            _ => StoreError::Database(err),
        }
    }
}
