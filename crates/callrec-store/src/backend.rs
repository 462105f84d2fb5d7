//! Every difference between SQLite and PostgreSQL that is not in a
//! migration file: the SQL text each engine needs for the same thing.
//! Everything else in the store is written once for both.

/// SQLite's page cache per connection: negative means KiB (64 MiB).
const SQLITE_CACHE_SIZE: i64 = -65536;

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
    pub(crate) fn begin_write_statement(self) -> &'static str {
        match self {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        }
    }

    /// Bounds how long a transaction waits for a row lock (the audit
    /// chain's head): a stalled writer makes others fail in 5 s rather
    /// than queue until the pool runs dry. SQLite has its busy timeout.
    pub(crate) fn lock_timeout_statement(self) -> Option<&'static str> {
        match self {
            Backend::Sqlite => None,
            Backend::Postgres => Some("SET LOCAL lock_timeout = '5s'"),
        }
    }

    /// What locks the rows a `SELECT` reads until the transaction ends.
    /// SQLite's write transactions (`BEGIN IMMEDIATE`) already hold the
    /// whole database.
    pub(crate) fn for_update(self) -> &'static str {
        match self {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE",
        }
    }

    /// `[[a, b], …]` as text: the rows of a group as one JSON value, so a
    /// whole list crosses from the database in one row (see
    /// docs/BENCHMARKS.md for what rows one at a time cost). PostgreSQL's
    /// `json_build_array` looks up the type of every argument on every
    /// call, so there each row is a text array and the group a 2-D array:
    /// one lookup in all, and every value arrives as a JSON string (read
    /// back with [`crate::json::int`]).
    pub(crate) fn json_array_agg(self, columns: &[&str]) -> String {
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

    /// The rows of a group as one text value in the form [`crate::packed`] reads:
    /// fields apart by ASCII's unit separator, rows by its record
    /// separator, NULL as nothing. Cheaper to build and read than JSON
    /// (PostgreSQL +16% pages per second, docs/BENCHMARKS.md), and safe
    /// only for columns that cannot hold those two characters: ids,
    /// integers, codes and phone numbers.
    pub(crate) fn packed_rows(self, columns: &[&str]) -> String {
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
    pub(crate) fn unix_now(self) -> &'static str {
        match self {
            Backend::Sqlite => "CAST(strftime('%s', 'now') AS INTEGER)",
            Backend::Postgres => "CAST(EXTRACT(EPOCH FROM now()) AS BIGINT)",
        }
    }

    /// Joins `expr` over a group with commas.
    pub(crate) fn string_agg(self, expr: &str) -> String {
        match self {
            Backend::Sqlite => format!("group_concat({expr}, ',')"),
            Backend::Postgres => format!("string_agg({expr}, ',')"),
        }
    }

    /// A statement reading the database server's clock in Unix
    /// milliseconds (`now_ms`), when it is another machine's: SQLite runs
    /// inside this process.
    pub(crate) fn server_clock(self) -> Option<&'static str> {
        match self {
            Backend::Sqlite => None,
            Backend::Postgres => Some(
                "SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT) AS now_ms",
            ),
        }
    }

    /// The engine a database URL names.
    pub(crate) fn of_url(url: &str) -> Option<Backend> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else {
            None
        }
    }

    /// What every connection runs when it opens.
    pub(crate) fn connection_settings(self) -> Vec<String> {
        match self {
            // WAL lets readers run beside the one writer; the busy timeout
            // makes writers from other processes (the CLI while `serve`
            // runs) wait instead of failing.
            Backend::Sqlite => vec![
                "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000; \
                 PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; \
                 PRAGMA temp_store = MEMORY; PRAGMA mmap_size = 1073741824;"
                    .to_string(),
                format!("PRAGMA cache_size = {SQLITE_CACHE_SIZE}"),
            ],
            // Every hot query is index-driven whatever its parameters:
            // planning each execution again (custom plans) cost more than
            // running it.
            Backend::Postgres => vec!["SET plan_cache_mode = force_generic_plan".to_string()],
        }
    }

    /// Locks the text `$1` until the transaction ends, when the engine
    /// needs it: SQLite's `BEGIN IMMEDIATE` already serialises every
    /// writer.
    pub(crate) fn key_lock(self) -> Option<&'static str> {
        match self {
            Backend::Sqlite => None,
            Backend::Postgres => {
                Some("SELECT pg_advisory_xact_lock(hashtextextended($1, 727013)) AS locked")
            }
        }
    }

    /// Makes a migration wait for another node's, inside the write
    /// transaction (SQLite's write lock already does).
    pub(crate) fn migration_lock(self) -> Option<&'static str> {
        match self {
            Backend::Sqlite => None,
            Backend::Postgres => Some("LOCK TABLE schema_migrations IN EXCLUSIVE MODE"),
        }
    }

    /// Rows per statement of a bulk insert. SQLite looks each parameter
    /// name up with a linear scan, so statements with thousands of
    /// parameters bind in quadratic time: 50. PostgreSQL: 1,000 (16,000
    /// parameters; the limit is 65,535), so the number index's statement
    /// trigger runs once per 1,000 rows.
    pub(crate) fn bulk_rows_per_statement(self) -> usize {
        match self {
            Backend::Sqlite => 50,
            Backend::Postgres => 1000,
        }
    }

    /// The placeholders of row `row` of a bulk insert of `columns` columns.
    pub(crate) fn bulk_row(self, row: usize, columns: usize) -> String {
        match self {
            // Anonymous parameters: sqlx asks SQLite for each parameter's
            // name, which costs a scan per `$n`.
            Backend::Sqlite => format!("({})", vec!["?"; columns].join(", ")),
            Backend::Postgres => numbered_row(row, columns),
        }
    }

    /// Statements around a bulk load, when the engine needs them: each
    /// batch touches the newest end of every number-index key, more pages
    /// than SQLite's usual cache holds, so a larger one for the load saves
    /// re-reading them for every row.
    pub(crate) fn bulk_load_settings(self) -> Option<(String, String)> {
        match self {
            Backend::Sqlite => Some((
                "PRAGMA cache_size = -524288".to_string(),
                format!("PRAGMA cache_size = {SQLITE_CACHE_SIZE}"),
            )),
            Backend::Postgres => None,
        }
    }
}

/// `($1, $2, …)`: the numbered placeholders of row `row` of `columns`
/// columns, which both engines accept.
pub(crate) fn numbered_row(row: usize, columns: usize) -> String {
    let first = row * columns + 1;
    let numbered: Vec<String> = (first..first + columns).map(|n| format!("${n}")).collect();
    format!("({})", numbered.join(", "))
}
