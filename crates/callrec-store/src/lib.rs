//! Persistence for callrec on SQLite (the embedded default) and PostgreSQL
//! (for several nodes sharing one database).
//!
//! One `Store` serves both through sqlx's `Any` driver: queries are written
//! in the SQL both engines accept, with `$n` placeholders. Where the
//! engines differ, the SQL comes from [`Backend`] (`backend.rs`, the one
//! place that holds those differences: connection settings, write
//! transactions, locks, aggregates, packed pages, bulk inserts). Each
//! backend has its own migrations folder (`migrations/sqlite`,
//! `migrations/postgres`), with the same names and versions.

mod audio;
mod audit;
mod audit_chain;
mod backend;
mod blobs;
mod capture_sources;
mod companies;
mod company_numbers;
mod dashboard;
mod data_keys;
mod directory;
mod error;
mod filter;
pub mod freepbx_cdr;
#[doc(hidden)]
pub mod fuzzing;
mod json;
mod key_check;
mod marks;
mod mfa;
mod migrate;
mod notes;
pub mod number_index;
mod outbox;
mod packed;
mod password_resets;
mod peaks;
pub mod private;
mod purge;
mod reads;
mod recipients;
mod recordings;
mod recovery_codes;
mod scim;
mod security_keys;
mod sessions;
mod snapshot;
mod sso;
mod stats;
mod tags;
mod teams;
mod throttle;
mod tokens;
mod transcripts;
mod users;
mod write;

#[cfg(feature = "testing")]
pub mod testing;

pub use audio::Extras;
pub use audit::{AuditEntry, AuditQuery, NewAuditEntry};
pub use audit_chain::{ChainHead, ChainedEntry, UnchainedEntries};
pub use backend::Backend;
pub use blobs::{
    company_key, is_storage_key, AudioLocation, BlobFile, BlobStore, BlobWriter, PreparedBlob,
    S3Location, StoredBlob, HEAD_BYTES,
};
pub use capture_sources::CaptureSource;
pub use companies::{Company, CompanyRow};
pub use company_numbers::{CompanyNumbers, NumbersRefused};
pub use dashboard::{AdoptionDay, Ranking, TopEntry};
pub use data_keys::WrappedKey;
pub use directory::FilterChoices;
pub use error::StoreError;
pub use mfa::{MfaRegistration, MfaSummary, RolloutUser};
pub use notes::{NewNote, NoteAuthor, StoredNote};
pub use outbox::{FailedMail, NewMail, QueuedMail};
pub use purge::{Job, PurgeRule, PurgedBatch};
pub use recordings::{
    Binned, CallTotals, Cursor, DeletedRecording, Hold, HoldChange, Inserted, ListedRecording,
    NewRecording, PageFrom, Recording, RecordingAudio, RecordingPage, RecordingQuery, Restored,
    Tally, HOLD_BATCH, QUARTER_HOUR_MS,
};
pub use scim::{ScimGroup, ScimUser, ScimUserFields, GROUP_FILTERS, USER_FILTERS};
pub use security_keys::{NewKey, StoredKey};
pub use sessions::{SessionRecord, SessionTimeouts};
pub use sso::{NewSsoConfig, SsoConfig, SsoLogin, SsoRefused};
pub use stats::PoolStats;
pub use tags::Tag;
pub use teams::Team;
pub use throttle::{Reservation, Reservations, ThrottleWindow};
pub use tokens::{ApiToken, NewApiToken, TokenState};
pub use transcripts::{
    ClaimedJob, NewTranscript, QueueCounts, RedactedAudio, RedactedSaved, StoredTranscript,
    TranscriptionJob,
};
pub use users::{
    NewUser, Page, StoredPassword, User, UserDetailsChange, UserQuery, UserUpdate,
    DUPLICATE_EXTENSION, DUPLICATE_USERNAME,
};
pub use write::Write;

use directory::DirectoryCache;
use reads::ReadConnections;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::{AnyConnection, AnyPool, Executor};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The one handle to the database. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    /// The session and Recordings page reads (see `reads`).
    reads: Arc<ReadConnections>,
    /// Names for the Recordings page (see `directory`).
    directory: Arc<DirectoryCache>,
    backend: Backend,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish()
    }
}

/// Connections per pool (sqlx's, and the hot-path reads') unless configured.
/// On PostgreSQL 8 served 3,760 pages/s on two cores where 16 served 3,330
/// and 32 fewer still (docs/BENCHMARKS.md): past the database's cores, more
/// server processes only take turns on them.
pub const DEFAULT_CONNECTIONS: u32 = 8;

/// How long a request waits for a connection before "the database is busy".
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// The SQLite file inside a data directory.
pub const SQLITE_FILE: &str = "callrec.db";

impl Store {
    /// The database server's clock (Unix milliseconds), or `None` when the
    /// database is SQLite in this process.
    pub async fn server_time_ms(&self) -> Result<Option<i64>> {
        let Some(statement) = self.backend.server_clock() else {
            return Ok(None);
        };
        let row = sqlx::query(statement).fetch_one(&self.pool).await?;
        Ok(Some(sqlx::Row::try_get(&row, "now_ms")?))
    }
}

impl Store {
    /// Opens `database_url` when given (`postgres://…` or `sqlite://…`),
    /// otherwise the SQLite file in `data_dir`, creating it as needed.
    pub async fn connect(database_url: Option<&str>, data_dir: &Path) -> Result<Store> {
        Store::connect_with(database_url, data_dir, DEFAULT_CONNECTIONS).await
    }

    /// [`Store::connect`] with `connections` per pool (at least one).
    pub async fn connect_with(
        database_url: Option<&str>,
        data_dir: &Path,
        connections: u32,
    ) -> Result<Store> {
        let connections = connections.max(1);
        sqlx::any::install_default_drivers();
        let url = match database_url {
            Some(url) => url.to_string(),
            None => {
                let data_dir_error = |source| StoreError::DataDir {
                    path: data_dir.display().to_string(),
                    source,
                };
                private::create_dir(data_dir).map_err(data_dir_error)?;
                // Created here 0600 before SQLite opens it; its -wal and -shm
                // files take the same mode from it.
                let file = data_dir.join(SQLITE_FILE);
                match private::file_options()
                    .write(true)
                    .create_new(true)
                    .open(&file)
                {
                    Err(err) if err.kind() != std::io::ErrorKind::AlreadyExists => {
                        return Err(data_dir_error(err));
                    }
                    _ => {}
                }
                format!("sqlite://{}?mode=rwc", data_dir.join(SQLITE_FILE).display())
            }
        };
        let backend = Backend::of_url(&url).ok_or(StoreError::UnsupportedUrl)?;
        let options = AnyPoolOptions::new()
            .max_connections(connections)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .after_connect(move |conn, _meta| Box::pin(prepare_connection(conn, backend)));
        let pool = options
            .connect(&url)
            .await
            .map_err(|source| StoreError::Connect { backend, source })?;
        let read_options = AnyConnectOptions::from_str(&url)
            .map_err(|source| StoreError::Connect { backend, source })?;
        let reads =
            ReadConnections::new(read_options, backend, connections as usize, ACQUIRE_TIMEOUT);
        Ok(Store {
            pool,
            reads: Arc::new(reads),
            directory: Arc::default(),
            backend,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Whether the database answers a trivial query.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.reads.close().await;
        self.pool.close().await;
    }

    /// A transaction that holds the write lock from its first statement.
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(self
            .pool
            .begin_with(self.backend.begin_write_statement())
            .await?)
    }
}

/// The settings every connection gets when it opens.
pub(crate) async fn prepare_connection(
    conn: &mut AnyConnection,
    backend: Backend,
) -> Result<(), sqlx::Error> {
    for statement in backend.connection_settings() {
        conn.execute(statement.as_str()).await?;
    }
    Ok(())
}

/// Reads an integer 0/1 column as a flag.
fn flag(row: &AnyRow, column: &str) -> Result<bool> {
    use sqlx::Row;
    Ok(row.try_get::<i64, _>(column)? != 0)
}
