//! The `callrec` command line, run as a user would run it.

use std::io::Write;

use std::process::{Command, Output, Stdio};

struct Cli {
    dir: tempfile::TempDir,
    /// PostgreSQL: the test's own schema (kept alive with the `Cli`).
    database_url: Option<String>,
    _db: Option<callrec_store::testing::TestDb>,
}

impl Cli {
    /// On SQLite in a fresh data directory.
    fn new() -> Cli {
        Cli {
            dir: tempfile::tempdir().unwrap(),
            database_url: None,
            _db: None,
        }
    }

    /// On a fresh PostgreSQL schema, if CALLREC_TEST_POSTGRES_URL is set.
    fn postgres() -> Option<Cli> {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let db = runtime.block_on(callrec_store::testing::TestDb::postgres())?;
        Some(Cli {
            dir: tempfile::tempdir().unwrap(),
            database_url: db.database_url.clone(),
            _db: Some(db),
        })
    }

    /// The store the commands write to, for checks the CLI cannot show.
    fn store(&self, runtime: &tokio::runtime::Runtime) -> callrec_store::Store {
        runtime
            .block_on(callrec_store::Store::connect(
                self.database_url.as_deref(),
                self.dir.path(),
            ))
            .unwrap()
    }

    fn run_with(&self, args: &[&str], stdin: &str, extra: &[(&str, &str)]) -> Output {
        let mut child = Command::new(env!("CARGO_BIN_EXE_callrec"))
            .args(args)
            .env("CALLREC_DATA_DIR", self.dir.path())
            .env_remove("CALLREC_DATABASE_URL")
            .env_remove("CALLREC_CONFIG")
            .env_remove("CALLREC_SECRET_KEY")
            .env_remove("CALLREC_SECRET_KEY_PREVIOUS")
            .env("CALLREC_LOG", "warn")
            .envs(
                self.database_url
                    .iter()
                    .map(|url| ("CALLREC_DATABASE_URL", url)),
            )
            .envs(extra.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    /// Runs and expects `code`, returning stdout and stderr together.
    fn expect(&self, code: i32, args: &[&str], stdin: &str) -> String {
        self.expect_with(code, args, stdin, &[])
    }

    fn expect_with(&self, code: i32, args: &[&str], stdin: &str, extra: &[(&str, &str)]) -> String {
        let output = self.run_with(args, stdin, extra);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(
            output.status.code(),
            Some(code),
            "callrec {args:?}:\n{text}"
        );
        text
    }
}

const GOOD_PASSWORD: &str = "a long enough phrase\n";

/// `#[test] fn name` that runs its body on SQLite, then on PostgreSQL.
macro_rules! on_each_backend {
    ($(#[$meta:meta])* fn $name:ident($cli:ident) $body:block) => {
        $(#[$meta])*
        #[test]
        fn $name() {
            fn run($cli: &Cli) $body
            each_backend(stringify!($name), run);
        }
    };
}

/// The company Acme with a Company user `username` (password GOOD_PASSWORD).
fn company_admin(cli: &Cli, username: &str) {
    cli.expect(0, &["company", "add", "Acme"], "");
    let args = ["user", "add", "--company", "Acme", "--username", username];
    let rest = ["--level", "company", "--password-stdin"];
    cli.expect(0, &[&args[..], &rest[..]].concat(), GOOD_PASSWORD);
}

/// Runs `test` on SQLite, then on PostgreSQL (which fails under CI without
/// a server and is reported skipped elsewhere).
fn each_backend(name: &str, test: fn(&Cli)) {
    test(&Cli::new());
    match Cli::postgres() {
        Some(cli) => test(&cli),
        None => callrec_store::testing::postgres_missing(&format!("cli::{name}::postgres")),
    }
}

/// Starts `serve` with `env`, waits for its "serving" line, stops it, and
/// returns everything it printed.
fn serve_once(cli: &Cli, env: &[(&str, &str)]) -> String {
    use std::io::{BufRead, BufReader};
    let mut command = Command::new(env!("CARGO_BIN_EXE_callrec"));
    command
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("CALLREC_DATA_DIR", cli.dir.path())
        .env_remove("CALLREC_DATABASE_URL")
        .envs(
            cli.database_url
                .iter()
                .map(|url| ("CALLREC_DATABASE_URL", url)),
        )
        .env_remove("CALLREC_BOOTSTRAP_ADMIN_USERNAME")
        .env_remove("CALLREC_BOOTSTRAP_ADMIN_PASSWORD")
        .env("CALLREC_LOG", "warn")
        .env("CALLREC_LOG_FORMAT", "text")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().unwrap();
    let mut printed = String::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        printed.push_str(&line);
        printed.push('\n');
        if line.contains("callrec is serving http://127.0.0.1:") {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    printed
}

fn wav_file(samples: usize, seed: i16) -> Vec<u8> {
    let data: Vec<i16> = (0..samples)
        .map(|i| (i as i16).wrapping_mul(seed))
        .collect();
    callrec_domain::audio::pcm_wav(&data, 8000)
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// Rows whose audio file is missing, and files neither a row nor the purge
/// job's queue knows of: after any crash, both must be empty.
fn purge_loose_ends(cli: &Cli, runtime: &tokio::runtime::Runtime) -> (usize, usize, i64) {
    let store = cli.store(runtime);
    let blobs = callrec_store::BlobStore::new(cli.dir.path());
    let (files, _) = runtime.block_on(blobs.scan()).unwrap();
    let used = runtime.block_on(store.storage_keys()).unwrap();
    let queued: std::collections::HashSet<String> = runtime
        .block_on(store.purged_audio(1_000_000))
        .unwrap()
        .into_iter()
        .collect();
    let rows_without_audio = used.difference(&files).count();
    let untracked_files = files
        .iter()
        .filter(|f| !used.contains(*f) && !queued.contains(*f))
        .count();
    let recordings = runtime.block_on(store.count_recordings(None)).unwrap();
    (rows_without_audio, untracked_files, recordings)
}

/// The data key number each stored audio file of the data directory is
/// sealed with (`None`: plain).
fn sealed_with(cli: &Cli) -> Vec<Option<u32>> {
    let audio = cli.dir.path().join("audio");
    walk(&audio)
        .into_iter()
        .filter(|p| !p.starts_with(audio.join("tmp")) && p.extension().is_none())
        .map(|p| {
            let head = std::fs::read(&p).unwrap();
            (head.starts_with(b"CRA1")).then(|| u32::from_be_bytes(head[4..8].try_into().unwrap()))
        })
        .collect()
}

/// Reads `child`'s progress lines (`what`) and kills it (SIGKILL) right
/// after the `nth`; fails if it ends first.
fn kill_after_progress(child: &mut std::process::Child, what: &str, nth: usize) {
    use std::io::{BufRead, BufReader};
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = 0;
    for line in lines {
        if line.unwrap().contains(what) {
            seen += 1;
            if seen == nth {
                child.kill().unwrap(); // SIGKILL
                let status = child.wait().unwrap();
                assert!(!status.success(), "killed mid-run, not finished first");
                return;
            }
        }
    }
    panic!("the run ended after {seen} progress lines, before the kill");
}

mod accounts;
mod freepbx;
mod keys;
mod records;
mod serve;
mod settings;
