//! A fresh, migrated database for each test: a temporary SQLite file, or a
//! schema of its own on the PostgreSQL server named by
//! `CALLREC_TEST_POSTGRES_URL`, dropped when the test ends.

use crate::{Backend, Result, Store, Write};
use rand::Rng;
use std::path::Path;

pub const POSTGRES_URL_VAR: &str = "CALLREC_TEST_POSTGRES_URL";

pub struct TestDb {
    pub store: Store,
    /// `None` for SQLite (the file lives in `dir`).
    pub database_url: Option<String>,
    pub dir: tempfile::TempDir,
    postgres_schema: Option<(String, String)>,
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temporary directory");
        let store = Store::connect(None, dir.path()).await.expect("open SQLite");
        store.migrate().await.expect("migrate SQLite");
        TestDb {
            store,
            database_url: None,
            dir,
            postgres_schema: None,
        }
    }

    /// `None` when `CALLREC_TEST_POSTGRES_URL` is not set.
    pub async fn postgres() -> Option<TestDb> {
        let base = std::env::var(POSTGRES_URL_VAR)
            .ok()
            .filter(|v| !v.is_empty())?;
        let schema = format!("t_{:016x}", rand::thread_rng().gen::<u64>());
        let admin = Store::connect(Some(&base), Path::new("."))
            .await
            .expect("connect to CALLREC_TEST_POSTGRES_URL");
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&admin.pool)
            .await
            .expect("create test schema");
        admin.close().await;
        let separator = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{separator}options[search_path]={schema}");
        let store = Store::connect(Some(&url), Path::new("."))
            .await
            .expect("connect to test schema");
        store.migrate().await.expect("migrate PostgreSQL");
        Some(TestDb {
            store,
            database_url: Some(url),
            dir: tempfile::tempdir().expect("temporary directory"),
            postgres_schema: Some((base, schema)),
        })
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// The bodies of every message in the mail outbox.
    pub async fn outbox_bodies(&self) -> Vec<String> {
        use sqlx::Row;
        sqlx::query("SELECT text_body, html_body FROM outbox")
            .fetch_all(&self.store.pool)
            .await
            .expect("read the outbox")
            .iter()
            .map(|row| {
                format!(
                    "{}{}",
                    row.get::<String, _>("text_body"),
                    row.get::<String, _>("html_body")
                )
            })
            .collect()
    }

    /// The number index's keys for one recording, as the triggers wrote
    /// them, per slice (to compare with `crate::number_index::number_grams`
    /// and `Slice::of_recording`).
    pub async fn number_index_keys(
        &self,
        id: &str,
    ) -> std::collections::BTreeMap<(i64, i64), std::collections::BTreeSet<String>> {
        use sqlx::Row;
        let rows = sqlx::query(
            "SELECT CAST(g.slice AS BIGINT) AS slice, g.owner, g.gram \
             FROM recording_number_grams g JOIN recordings r \
             ON r.seq = g.recording AND r.started_at = g.started_at WHERE r.id = $1",
        )
        .bind(id)
        .fetch_all(&self.store.pool)
        .await
        .expect("read the number index");
        let mut keys = std::collections::BTreeMap::<_, std::collections::BTreeSet<_>>::new();
        for row in rows {
            keys.entry((row.get("slice"), row.get("owner")))
                .or_default()
                .insert(row.get::<String, _>("gram"));
        }
        keys
    }

    /// Ends the server processes behind the idle hot-path read connections,
    /// as a database restart would; returns how many (none on SQLite,
    /// which has no server).
    pub async fn end_read_connections(&self) -> crate::Result<usize> {
        if self.store.backend != crate::Backend::Postgres {
            return Ok(0);
        }
        let pids = self.store.reads.idle_server_pids().await?;
        for pid in &pids {
            // With a timeout, PostgreSQL waits until the process is gone.
            sqlx::query("SELECT pg_terminate_backend(CAST($1 AS INTEGER), 5000) AS ended")
                .bind(pid)
                .execute(&self.store.pool)
                .await?;
        }
        Ok(pids.len())
    }

    /// A second store on the same database, as another portal node (or a
    /// CLI command beside `serve`) would open it.
    pub async fn another_node(&self) -> Store {
        Store::connect(self.database_url.as_deref(), self.dir.path())
            .await
            .expect("open the database again")
    }

    /// Every byte the database holds, for scans of secrets at rest: the
    /// SQLite file with its WAL, or a full `pg_dump` of the test's schema.
    pub fn dump(&self) -> Vec<u8> {
        match &self.postgres_schema {
            None => ["", "-wal", "-shm"]
                .iter()
                .filter_map(|suffix| {
                    std::fs::read(
                        self.dir
                            .path()
                            .join(format!("{}{suffix}", crate::SQLITE_FILE)),
                    )
                    .ok()
                })
                .flatten()
                .collect(),
            Some((base, schema)) => {
                let output = std::process::Command::new("pg_dump")
                    .args(["--dbname", base, "--schema", schema, "--no-owner"])
                    .output()
                    .expect("pg_dump (PostgreSQL's client tools)");
                assert!(
                    output.status.success(),
                    "pg_dump: {}",
                    String::from_utf8_lossy(&output.stderr)
                );
                output.stdout
            }
        }
    }

    /// Runs one statement directly (to show what the schema refuses).
    pub async fn execute(&self, sql: &str) -> crate::Result<()> {
        execute(&self.store, sql).await
    }
}

/// Runs one statement directly on `store` (tampering, in tests).
pub async fn execute(store: &Store, sql: &str) -> crate::Result<()> {
    sqlx::query(sql).execute(&store.pool).await?;
    Ok(())
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((base, schema)) = self.postgres_schema.take() else {
            return;
        };
        // Drop runs outside any async context we could borrow: use a thread
        // with its own small runtime.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async {
                if let Ok(admin) = Store::connect(Some(&base), Path::new(".")).await {
                    let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                        .execute(&admin.pool)
                        .await;
                    admin.close().await;
                }
            });
        })
        .join();
    }
}

/// Without `CALLREC_TEST_POSTGRES_URL` a PostgreSQL half cannot run: under
/// CI (`CI` set) that fails the test, so a run can never look greener than
/// it is; elsewhere the half says it was skipped, and `scripts/test.sh`
/// counts the skips (`CALLREC_TEST_SKIP_LOG`).
pub fn postgres_missing(test: &str) {
    missing(test, POSTGRES_URL_VAR, "PostgreSQL");
}

fn missing(test: &str, var: &str, what: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("{test}: {var} is not set, and CI must run every {what} test");
    }
    eprintln!("SKIPPED {test}: {var} is not set");
    // Test output is captured; scripts/test.sh counts this file's lines.
    if let Some(path) = std::env::var_os("CALLREC_TEST_SKIP_LOG") {
        use std::io::Write;
        if let Ok(mut file) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let _ = writeln!(file, "{test}");
        }
    }
}

/// The speech engine `scripts/asr-server.sh` starts (faster-whisper, an
/// OpenAI-compatible API base), or `None` (skipped as the PostgreSQL
/// halves are: a failure under CI) when it is not running.
pub fn test_transcribe_url(test: &str) -> Option<String> {
    let url = std::env::var("CALLREC_TEST_TRANSCRIBE_URL").ok();
    if url.is_none() {
        missing(test, "CALLREC_TEST_TRANSCRIBE_URL", "speech engine");
    }
    url
}

/// The test OpenID provider's issuer (`scripts/oidc-provider.sh`), or
/// `None` (skipped as the PostgreSQL halves are: a failure under CI) when
/// it is not running.
pub fn test_oidc_issuer(test: &str) -> Option<String> {
    let issuer = std::env::var("CALLREC_TEST_OIDC_ISSUER").ok();
    if issuer.is_none() {
        missing(test, "CALLREC_TEST_OIDC_ISSUER", "identity provider");
    }
    issuer
}

/// `text` said by espeak-ng (which `scripts/asr-server.sh` installs), as
/// 8 kHz 16-bit samples: one party of a call, for the speech engine.
pub fn spoken(text: &str) -> Vec<i16> {
    let dir = tempfile::tempdir().expect("temporary directory");
    let (said, call) = (dir.path().join("said.wav"), dir.path().join("call.wav"));
    let spoke = std::process::Command::new("espeak-ng")
        .arg("-w")
        .arg(&said)
        .arg(text)
        .status()
        .expect("espeak-ng (scripts/asr-server.sh installs it)");
    assert!(spoke.success(), "espeak-ng failed");
    let resampled = std::process::Command::new("sox")
        .arg(&said)
        .args(["-r", "8000", "-c", "1", "-b", "16"])
        .arg(&call)
        .status()
        .expect("sox (scripts/asr-server.sh installs it)");
    assert!(resampled.success(), "sox failed");
    let wav = std::fs::read(call).expect("sox's output");
    wav[44..]
        .chunks_exact(2)
        .map(|p| i16::from_le_bytes([p[0], p[1]]))
        .collect()
}

/// Two parties' samples as one stereo call (the first on the left), with
/// `gap` silent samples after the longer.
pub fn two_parties(left: &[i16], right: &[i16], gap: usize) -> Vec<i16> {
    let frames = left.len().max(right.len()) + gap;
    (0..frames)
        .flat_map(|i| {
            [
                left.get(i).copied().unwrap_or(0),
                right.get(i).copied().unwrap_or(0),
            ]
        })
        .collect()
}

/// The S3-compatible server `scripts/s3-server.sh` starts (s3s-fs), as
/// a bucket location under a fresh prefix, or `None` (skipped as the
/// PostgreSQL halves are: a failure under CI) when it is not running.
pub fn test_s3(test: &str) -> Option<crate::S3Location> {
    let endpoint = std::env::var("CALLREC_TEST_S3_ENDPOINT").ok();
    let bucket = std::env::var("CALLREC_TEST_S3_BUCKET").ok();
    let (Some(endpoint), Some(bucket)) = (endpoint, bucket) else {
        missing(test, "CALLREC_TEST_S3_ENDPOINT", "S3");
        return None;
    };
    use rand::Rng;
    Some(crate::S3Location {
        bucket,
        prefix: format!("test-{:016x}", rand::thread_rng().gen::<u64>()),
        endpoint: Some(endpoint),
        region: Some("us-east-1".into()),
    })
}

/// Writes each test twice, `name::sqlite` and `name::postgres`, each given
/// a fresh [`TestDb`]. Without `CALLREC_TEST_POSTGRES_URL` the PostgreSQL
/// one fails under CI and reports itself skipped elsewhere
/// ([`postgres_missing`]); `.ci/run` always sets it.
#[macro_export]
macro_rules! backend_tests {
    ($($(#[$meta:meta])* async fn $name:ident($db:ident) $body:block)*) => {
        $(
            $(#[$meta])*
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let $db = $crate::testing::TestDb::sqlite().await;
                    $body
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    let Some($db) = $crate::testing::TestDb::postgres().await else {
                        $crate::testing::postgres_missing(concat!(module_path!(), "::postgres"));
                        return;
                    };
                    $body
                }
            }
        )*
    };
}

impl Store {
    /// Test set-up: `change` committed alone at `now` with no audit entry
    /// (the application writes every real change with its entry).
    pub async fn set_up<T>(
        &self,
        now: i64,
        change: impl AsyncFnOnce(&mut Write<'_>) -> Result<T>,
    ) -> Result<T> {
        let mut write = self.write(now).await?;
        let out = change(&mut write).await?;
        write.commit().await?;
        Ok(out)
    }
}

impl TestDb {
    /// Failure injection: from now on every audit entry fails to be
    /// written, after whatever change came before it in its transaction.
    pub async fn fail_audit_writes(&self) {
        let statements: &[&str] = match self.store.backend {
            Backend::Sqlite => &["CREATE TRIGGER fail_audit BEFORE INSERT ON audit_log \
                 BEGIN SELECT RAISE(ABORT, 'injected failure'); END"],
            Backend::Postgres => &[
                "CREATE FUNCTION fail_audit() RETURNS trigger AS $$ \
                 BEGIN RAISE EXCEPTION 'injected failure'; END $$ LANGUAGE plpgsql",
                "CREATE TRIGGER fail_audit BEFORE INSERT ON audit_log \
                 FOR EACH ROW EXECUTE FUNCTION fail_audit()",
            ],
        };
        for statement in statements {
            sqlx::query(statement)
                .execute(&self.store.pool)
                .await
                .expect("install the failing trigger");
        }
    }
}
