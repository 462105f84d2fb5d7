//! Persistence for callrec on SQLite (the embedded default) and PostgreSQL
//! (for several nodes sharing one database).
//!
//! One `Store` serves both through sqlx's `Any` driver: queries are written
//! in the SQL both engines accept, with `$n` placeholders, wherever they can
//! be. Where the engines differ the SQL comes from [`Backend`] (writes,
//! packed pages, string aggregation) or says which engine it is for (the
//! directory load, audio locks, the search's index reads). Each backend has its
//! own migrations folder (`migrations/sqlite`, `migrations/postgres`).

mod audio;
mod audit;
mod blobs;
mod companies;
mod directory;
mod error;
mod filter;
#[doc(hidden)]
pub mod fuzzing;
mod json;
mod mfa;
mod migrate;
pub mod number_index;
mod packed;
pub mod private;
mod reads;
mod recordings;
mod sessions;
mod teams;
mod throttle;
mod tokens;
mod users;

#[cfg(feature = "testing")]
pub mod testing;

pub use audit::{AuditAction, AuditEntry, AuditQuery, NewAuditEntry};
pub use blobs::{company_key, BlobStore, BlobWriter, PreparedBlob, StoredBlob, HEAD_BYTES};
pub use companies::Company;
pub use directory::FilterChoices;
pub use error::StoreError;
pub use mfa::{MfaRegistration, MfaSummary};
pub use recordings::{
    Cursor, Inserted, ListedRecording, NewRecording, PageFrom, Recording, RecordingPage,
    RecordingQuery,
};
pub use sessions::{SessionRecord, SessionTimeouts};
pub use teams::Team;
pub use throttle::{Reservation, ThrottleWindow};
pub use tokens::ApiToken;
pub use users::{NewUser, Page, User, UserDetailsChange, UserQuery, UserUpdate};

use directory::DirectoryCache;
use reads::ReadConnections;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::{AnyConnection, AnyPool, Executor};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Which engine is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }

    /// SQLite must take the write lock when the transaction starts, or two
    /// readers that both decide to write deadlock into SQLITE_BUSY, which the
    /// busy timeout cannot resolve.
    fn begin_write_statement(self) -> &'static str {
        match self {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        }
    }

    /// `[[a, b], …]` as text: the rows of a group as one JSON value, so a
    /// whole list crosses from the database in one row (see
    /// docs/BENCHMARKS.md for what rows one at a time cost). PostgreSQL's
    /// `json_build_array` looks up the type of every argument on every
    /// call, so there each row is a text array and the group a 2-D array:
    /// one lookup in all, and every value arrives as a JSON string (read
    /// back with [`json::int`]).
    fn json_array_agg(self, columns: &[&str]) -> String {
        match self {
            Backend::Sqlite => format!("json_group_array(json_array({}))", columns.join(", ")),
            Backend::Postgres => {
                let texts: Vec<String> = columns.iter().map(|c| format!("{c}::text")).collect();
                format!(
                    "COALESCE(array_to_json(array_agg(ARRAY[{}]))::text, '[]')",
                    texts.join(", ")
                )
            }
        }
    }

    /// The rows of a group as one text value in the form [`packed`] reads:
    /// fields apart by ASCII's unit separator, rows by its record
    /// separator, NULL as nothing. Cheaper to build and read than JSON
    /// (PostgreSQL +16% pages per second, docs/BENCHMARKS.md), and safe
    /// only for columns that cannot hold those two characters: ids,
    /// integers, codes and phone numbers.
    fn packed_rows(self, columns: &[&str]) -> String {
        match self {
            Backend::Sqlite => {
                let fields: Vec<String> =
                    columns.iter().map(|c| format!("ifnull({c}, '')")).collect();
                format!(
                    "COALESCE(group_concat({}, char(30)), '')",
                    fields.join(" || char(31) || ")
                )
            }
            Backend::Postgres => format!(
                "COALESCE(string_agg(concat({}), E'\\x1e'), '')",
                columns.join(", E'\\x1f', ")
            ),
        }
    }

    /// The database server's time in Unix seconds, as SQL.
    fn unix_now(self) -> &'static str {
        match self {
            Backend::Sqlite => "CAST(strftime('%s', 'now') AS INTEGER)",
            Backend::Postgres => "CAST(EXTRACT(EPOCH FROM now()) AS BIGINT)",
        }
    }

    /// Joins `expr` over a group with commas.
    fn string_agg(self, expr: &str) -> String {
        match self {
            Backend::Sqlite => format!("group_concat({expr}, ',')"),
            Backend::Postgres => format!("string_agg({expr}, ',')"),
        }
    }
}

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

/// SQLite's page cache per connection: negative means KiB (64 MiB).
pub(crate) const SQLITE_CACHE_SIZE: i64 = -65536;

/// The SQLite file inside a data directory.
pub const SQLITE_FILE: &str = "callrec.db";

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
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(StoreError::UnsupportedUrl);
        };
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
    if backend == Backend::Sqlite {
        // WAL lets readers run beside the one writer; the busy timeout makes
        // writers from other processes (the CLI while `serve` runs) wait
        // instead of failing.
        conn.execute(
            "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000; \
             PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; \
             PRAGMA temp_store = MEMORY; PRAGMA mmap_size = 1073741824;",
        )
        .await?;
        conn.execute(format!("PRAGMA cache_size = {SQLITE_CACHE_SIZE}").as_str())
            .await?;
    } else {
        // Every hot query is index-driven whatever its parameters: planning
        // each execution again (custom plans) cost more than running it.
        conn.execute("SET plan_cache_mode = force_generic_plan")
            .await?;
    }
    Ok(())
}

/// Reads an integer 0/1 column as a flag.
fn flag(row: &AnyRow, column: &str) -> Result<bool> {
    use sqlx::Row;
    Ok(row.try_get::<i64, _>(column)? != 0)
}
