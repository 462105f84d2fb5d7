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

#[test]
fn help_documents_every_command_and_setting() {
    let cli = Cli::new();
    let help = cli.expect(0, &["--help"], "");
    for word in [
        "serve",
        "migrate",
        "demo",
        "company",
        "team",
        "user",
        "verify",
        "CALLREC_DATA_DIR",
        "CALLREC_DATABASE_URL",
        "--config",
    ] {
        assert!(help.contains(word), "{word} missing from --help:\n{help}");
    }
    let serve = cli.expect(0, &["serve", "--help"], "");
    for word in [
        "CALLREC_LISTEN",
        "CALLREC_PUBLIC_URL",
        "--demo",
        "CALLREC_SESSION_IDLE_MINUTES",
        "CALLREC_ARGON2_MEMORY_KIB",
        "CALLREC_API_RATE_LIMIT",
    ] {
        assert!(serve.contains(word), "{word} missing from serve --help");
    }
    let token = cli.expect(0, &["token", "create", "--help"], "");
    for word in ["--scope", "recordings:download", "--expires-in-days"] {
        assert!(
            token.contains(word),
            "{word} missing from token create --help"
        );
    }
    for sub in [
        &["company", "add", "--help"][..],
        &["team", "add", "--help"],
        &["user", "add", "--help"],
        &["user", "list", "--help"],
        &["user", "set-password", "--help"],
        &["migrate", "--help"],
        &["demo", "--help"],
        &["token", "list", "--help"],
        &["token", "revoke", "--help"],
    ] {
        cli.expect(0, sub, "");
    }
}

on_each_backend! {
    fn companies_teams_and_users_from_the_command_line(cli) {
    assert!(cli
        .expect(0, &["company", "add", "Acme"], "")
        .contains("Added company \"Acme\""));
    cli.expect(0, &["team", "add", "--company", "acme", "Sales"], "");
    let out = cli.expect(
        0,
        &[
            "user",
            "add",
            "--company",
            "Acme",
            "--username",
            "Jo.Doe",
            "--level",
            "staff",
            "--team",
            "sales",
            "--role",
            "Access to Recordings",
            "--role",
            "access to manage own mfa",
            "--password-stdin",
        ],
        GOOD_PASSWORD,
    );
    assert!(out.contains("Added Staff user \"Jo.Doe\""), "{out}");
    assert!(out.contains("The password is temporary: it must be changed at the first sign-in, by "), "{out}");
    let list = cli.expect(0, &["user", "list", "--company", "Acme"], "");
    assert!(list.contains("Jo.Doe\tJo.Doe\tAcme\tStaff\tSales\tenabled\tAccess to Manage Own MFA, Access to Recordings"), "{list}");
    assert!(cli
        .expect(0, &["company", "list"], "")
        .contains("Acme\tMFA Disabled"));
    let life = |cli: &Cli| {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let store = cli.store(&runtime);
        runtime.block_on(async { store.user_by_username("jo.doe").await.unwrap().unwrap().password_life })
    };
    let hours = |life: callrec_domain::PasswordLife| life.expires_at().map(|at| at - callrec_app::system_now());
    assert!(hours(life(cli)).is_some_and(|left| (72 * 3600 - 60..=72 * 3600).contains(&left)), "72 hours by default");
    let out = cli.expect(
        0,
        &["user", "set-password", "jo.doe", "--password-stdin"],
        "another fine phrase\n",
    );
    assert!(out.contains("The password is temporary"), "{out}");
    cli.expect_with(
        0,
        &["user", "set-password", "jo.doe", "--password-stdin"],
        "another fine phrase\n",
        &[("CALLREC_TEMPORARY_PASSWORD_HOURS", "5")],
    );
    assert!(hours(life(cli)).is_some_and(|left| (5 * 3600 - 60..=5 * 3600).contains(&left)), "CALLREC_TEMPORARY_PASSWORD_HOURS");
    let out = cli.expect(
        0,
        &["user", "set-password", "jo.doe", "--password-stdin", "--permanent"],
        "a third fine phrase\n",
    );
    assert!(!out.contains("temporary"), "{out}");
    assert_eq!(life(cli), callrec_domain::PasswordLife::Permanent, "--permanent");
    let err = cli.expect_with(2, &["user", "list"], "", &[("CALLREC_TEMPORARY_PASSWORD_HOURS", "0")]);
    assert!(err.contains("must be greater than zero"), "{err}");
    assert!(cli.expect(0, &["migrate"], "").contains("up to date"));
}
}

on_each_backend! {
    fn bad_input_exits_2_with_a_clear_message_and_writes_nothing(cli) {
    cli.expect(0, &["company", "add", "Acme"], "");
    cli.expect(0, &["team", "add", "--company", "Acme", "Sales"], "");
    // One connection a pool is enough for a command (the smallest setting).
    cli.expect(0, &["--database-connections", "1", "company", "list"], "");
    cli.expect(
        0,
        &[
            "user",
            "add",
            "--company",
            "Acme",
            "--username",
            "taken",
            "--level",
            "company",
            "--password-stdin",
        ],
        GOOD_PASSWORD,
    );
    let long_name = "x".repeat(101);
    let user = |extra: &[&'static str]| -> Vec<&'static str> {
        let mut args = vec!["user", "add", "--password-stdin"];
        args.extend_from_slice(extra);
        args
    };
    let in_sales = |extra: &[&'static str]| -> Vec<&'static str> {
        let mut args = user(&[
            "--company",
            "Acme",
            "--username",
            "a.b",
            "--level",
            "staff",
            "--team",
            "Sales",
        ]);
        args.extend_from_slice(extra);
        args
    };
    #[rustfmt::skip]
    let cases: Vec<(Vec<&str>, &str, &str)> = vec![
        (vec!["company", "add", "ACME"], "", "already exists"),
        (vec!["company", "add", "  "], "", "Company name is required"),
        (vec!["company", "add", &long_name], "", "at most 100 characters"),
        (vec!["team", "add", "--company", "Nope", "T"], "", "no company named \"Nope\""),
        (vec!["team", "add", "--company", "Acme", "sales"], "", "already exists"),
        (user(&["--company", "Nope", "--username", "a.b", "--level", "staff", "--team", "Sales"]), GOOD_PASSWORD, "no company named"),
        (user(&["--company", "Acme", "--username", "a.b", "--level", "staff", "--team", "Nope"]), GOOD_PASSWORD, "has no team named \"Nope\""),
        (user(&["--company", "Acme", "--username", "TAKEN", "--level", "staff", "--team", "Sales"]), GOOD_PASSWORD, "already exists"),
        (in_sales(&["--role", "Access to Everything"]), GOOD_PASSWORD, "valid roles are: \"Access to Manage Own MFA\""),
        (in_sales(&[]), "short\n", "at least 12 characters"),
        (in_sales(&[]), "password1234\n", "too easy to guess"),
        (in_sales(&[]), "", "no password on standard input"),
        (user(&["--company", "Acme", "--username", "a.b", "--level", "staff"]), GOOD_PASSWORD, "must belong to a team"),
        (user(&["--company", "Acme", "--username", "a.b", "--level", "boss"]), GOOD_PASSWORD, "choose one of global, company, team or staff"),
        (user(&["--company", "Acme", "--username", "a b", "--level", "staff"]), GOOD_PASSWORD, "Username may use letters"),
        (vec!["user", "set-password", "ghost", "--password-stdin"], GOOD_PASSWORD, "no user named \"ghost\""),
        (vec!["user", "list", "--company", "Nope"], "", "no company named"),
        (vec!["serve", "--listen", "not-an-address"], "", "must be an address and port"),
        (vec!["serve", "--public-url", "ftp://x"], "", "must start with http:// or https://"),
        (vec!["serve", "--session-idle-minutes", "0"], "", "must be greater than zero"),
        (vec!["migrate", "--database-connections", "0"], "", "--database-connections / CALLREC_DATABASE_CONNECTIONS must be greater than zero"),
        (vec!["migrate", "--database-connections", "5000"], "", "must be at most 1000 (got 5000)"),
        (vec!["migrate", "--database-connections", "some"], "", "invalid value"),
        (vec!["serve", "--argon2-iterations", "many"], "", "invalid value"),
        (vec!["user", "add", "--company", "Acme"], "", "required"),
        (vec!["frobnicate"], "", "unrecognized subcommand"),
    ];
    for (args, stdin, message) in cases {
        let out = cli.expect(2, &args, stdin);
        assert!(
            out.contains(message),
            "callrec {args:?} should say {message:?}, said:\n{out}"
        );
    }
    let list = cli.expect(0, &["user", "list"], "");
    assert_eq!(
        list.lines().count(),
        2,
        "only the one good user exists:\n{list}"
    );
    assert_eq!(cli.expect(0, &["company", "list"], "").lines().count(), 1);
}
}

#[test]
fn config_file_and_environment_layering() {
    let cli = Cli::new();
    let other = tempfile::tempdir().unwrap();
    let config = cli.dir.path().join("callrec.toml");
    std::fs::write(
        &config,
        format!("data_dir = {:?}\n", other.path().display().to_string()),
    )
    .unwrap();
    // The environment's CALLREC_DATA_DIR wins over the file.
    cli.expect(
        0,
        &[
            "--config",
            config.to_str().unwrap(),
            "company",
            "add",
            "EnvWins",
        ],
        "",
    );
    assert!(cli.dir.path().join("callrec.db").exists());
    assert!(!other.path().join("callrec.db").exists());
    std::fs::write(&config, "no_such_setting = 1\n").unwrap();
    let out = cli.expect(
        2,
        &["--config", config.to_str().unwrap(), "company", "list"],
        "",
    );
    assert!(
        out.contains("is not valid") && out.contains("no_such_setting"),
        "{out}"
    );
    let out = cli.expect(
        2,
        &["--config", "/nonexistent/callrec.toml", "company", "list"],
        "",
    );
    assert!(out.contains("cannot read the config file"), "{out}");
    let out = cli.expect(2, &["--database-url", "mysql://x", "company", "list"], "");
    assert!(out.contains("postgres://"), "{out}");
}

#[test]
fn demo_loads_once_and_prints_logins() {
    let cli = Cli::new();
    let first = cli.expect(0, &["demo"], "");
    assert!(
        first.contains("Loaded the demo data.") && first.contains("Demo-Calls-2026!"),
        "{first}"
    );
    for login in [
        "operator",
        "acme.admin",
        "acme.lead",
        "acme.agent",
        "globex.admin",
    ] {
        assert!(first.contains(login), "{login}");
    }
    let again = cli.expect(0, &["demo"], "");
    assert!(again.contains("already loaded"));
    let list = cli.expect(0, &["user", "list"], "");
    for level in ["Global", "Company", "Team", "Staff"] {
        assert!(
            list.contains(&format!("\t{level}\t")),
            "a {level} user in the demo"
        );
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

#[test]
fn serve_bootstraps_an_administrator_once() {
    let cli = Cli::new();
    let printed = serve_once(&cli, &[]);
    assert!(
        printed.contains("Created the administrator \"admin\" with password: "),
        "{printed}"
    );
    let password = printed
        .lines()
        .find_map(|l| l.split("with password: ").nth(1))
        .unwrap();
    assert_eq!(password.len(), 20, "a random password of 20 characters");
    let list = cli.expect(0, &["user", "list"], "");
    assert!(list.contains("admin\tAdministrator\tOperator\tGlobal\t-\tenabled\tAccess to Manage Own MFA, Access to Manage Company MFA, Access to Manage Users, Access to Manage Teams, Access to Recordings, Access to Download Recordings, Access to Delete Recordings, Access to Legal Hold, Access to Audit Log"), "{list}");
    // Never again once there are users.
    let again = serve_once(&cli, &[]);
    assert!(!again.contains("Created the administrator"), "{again}");

    let named = Cli::new();
    let printed = serve_once(
        &named,
        &[
            ("CALLREC_BOOTSTRAP_ADMIN_USERNAME", "chief"),
            ("CALLREC_BOOTSTRAP_ADMIN_PASSWORD", "a long enough phrase"),
        ],
    );
    assert!(
        printed.contains(
            "Created the administrator \"chief\" from CALLREC_BOOTSTRAP_ADMIN_USERNAME/PASSWORD"
        ),
        "{printed}"
    );
    assert!(
        !printed.contains("a long enough phrase"),
        "a given password is never echoed"
    );

    let weak = Cli::new();
    let output = Command::new(env!("CARGO_BIN_EXE_callrec"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("CALLREC_DATA_DIR", weak.dir.path())
        .env("CALLREC_BOOTSTRAP_ADMIN_PASSWORD", "short")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr
            .contains("CALLREC_BOOTSTRAP_ADMIN_PASSWORD: Password must be at least 12 characters"),
        "{stderr}"
    );
    assert_eq!(
        weak.expect(0, &["user", "list"], "").lines().count(),
        1,
        "no user was created"
    );
}

/// Acceptance check: under JSON logging the start-up lines (the first
/// administrator's password, the address) are JSON objects too.
#[test]
fn json_logging_prints_only_json_lines() {
    let cli = Cli::new();
    let printed = serve_once(&cli, &[("CALLREC_LOG_FORMAT", "json")]);
    let lines: Vec<&str> = printed.lines().collect();
    assert!(lines.len() >= 3, "{printed}");
    for line in lines {
        let object: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
        assert!(object["fields"]["message"].is_string(), "{line}");
    }
    assert!(
        printed.contains("Created the administrator \\\"admin\\\" with password: "),
        "{printed}"
    );
}

#[test]
fn mfa_keys_are_generated_private_and_rotate() {
    let cli = Cli::new();
    let printed = serve_once(&cli, &[]);
    assert!(printed.contains("callrec is serving"));
    let key_file = cli.dir.path().join("mfa-keys");
    let first = std::fs::read_to_string(&key_file).expect("key file generated on first start");
    assert_eq!(first.lines().count(), 1);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "only the owner may read the key");
    }
    let out = cli.expect(0, &["keys", "rotate"], "");
    assert!(out.contains("Re-encrypted 0 of 0 secrets"), "{out}");
    let rotated = std::fs::read_to_string(&key_file).unwrap();
    assert_eq!(rotated.lines().count(), 2);
    assert!(
        rotated.starts_with(&first),
        "old keys are kept to read older secrets"
    );

    let bad = Command::new(env!("CARGO_BIN_EXE_callrec"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("CALLREC_DATA_DIR", cli.dir.path())
        .env("CALLREC_SECRET_KEY", "too-short")
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr)
        .contains("CALLREC_SECRET_KEY must hold 32 bytes in base64"));
    let out = cli.expect(2, &["serve", "--mfa-issuer", "Bad:Issuer"], "");
    assert!(out.contains("without a colon"), "{out}");
}

on_each_backend! {
    fn api_tokens_from_the_command_line(cli) {
    cli.expect(0, &["company", "add", "Acme"], "");
    let out = cli.expect(
        0,
        &["token", "create", "--company", "acme", "--name", "pbx-1"],
        "",
    );
    let token = out
        .lines()
        .find(|l| l.starts_with("crt_"))
        .expect("the token is printed once");
    assert_eq!(token.len(), 47);
    let list = cli.expect(0, &["token", "list"], "");
    assert!(
        list.contains("Acme\tpbx-1\tingest\tcreated ") && list.contains("no expiry\tnever used\tactive"),
        "{list}"
    );
    assert!(!list.contains(token), "never shown again");
    assert!(cli
        .expect(
            2,
            &["token", "create", "--company", "Acme", "--name", "pbx-1"],
            ""
        )
        .contains("already has a token with that name"));
    assert!(cli
        .expect(
            2,
            &["token", "create", "--company", "Nope", "--name", "x"],
            ""
        )
        .contains("no company named"));
    assert!(cli
        .expect(
            2,
            &["token", "create", "--company", "Acme", "--name", " "],
            ""
        )
        .contains("--name: Token name is required"));
    // Scopes, repeated or comma-separated, and an expiry.
    let out = cli.expect(
        0,
        &["token", "create", "--company", "Acme", "--name", "crm", "--scope", "recordings:read,audit:read", "--scope", "directory:read", "--expires-in-days", "30"],
        "",
    );
    assert!(out.contains("with scopes recordings:read,directory:read,audit:read (until 20"), "{out}");
    let list = cli.expect(0, &["token", "list", "--company", "Acme"], "");
    assert!(list.contains("crm\trecordings:read,directory:read,audit:read\tcreated ") && list.contains("\texpires 20"), "{list}");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let store = cli.store(&runtime);
    let before = runtime.block_on(store.list_api_tokens(None)).unwrap().len();
    for (args, message) in [
        (vec!["--scope", "admin"], "--scope: Unknown scope \"admin\""),
        (vec!["--scope", "ingest", "--expires-in-days", "0"], "--expires-in-days: Expires in (days) must be a whole number from 1 to 1826"),
        (vec!["--scope", "ingest", "--expires-in-days", "forever"], "--expires-in-days"),
    ] {
        let mut all = vec!["token", "create", "--company", "Acme", "--name", "bad"];
        all.extend(args);
        assert!(cli.expect(2, &all, "").contains(message), "{message}");
    }
    assert_eq!(runtime.block_on(store.list_api_tokens(None)).unwrap().len(), before, "nothing written");
    let created = runtime
        .block_on(store.audit_entries(&callrec_store::AuditQuery { action: Some("token.created".into()), limit: 5, ..Default::default() }))
        .unwrap();
    assert_eq!(created.len(), 2);
    assert_eq!(created[0].actor_name.as_deref(), Some("cli"));
    cli.expect(
        0,
        &["token", "revoke", "--company", "Acme", "--name", "pbx-1"],
        "",
    );
    assert!(cli
        .expect(0, &["token", "list", "--company", "Acme"], "")
        .contains("revoked"));
    assert!(cli
        .expect(
            2,
            &["token", "revoke", "--company", "Acme", "--name", "pbx-1"],
            ""
        )
        .contains("no active token"));
}
}

fn wav_file(samples: usize, seed: i16) -> Vec<u8> {
    let data: Vec<i16> = (0..samples)
        .map(|i| (i as i16).wrapping_mul(seed))
        .collect();
    callrec_domain::audio::pcm_wav(&data, 8000)
}

on_each_backend! {
    fn import_takes_a_folder_reports_each_bad_file_and_skips_what_is_there(cli) {
    cli.expect(0, &["company", "add", "Acme"], "");
    let folder = tempfile::tempdir().unwrap();
    let dir = folder.path();
    let meta = |from: &str| {
        format!(
            r#"{{"started_at": "2026-11-01T10:00:00Z", "direction": "inbound", "from": "{from}", "to": "2001"}}"#
        )
    };
    std::fs::write(dir.join("a.wav"), wav_file(800, 3)).unwrap();
    std::fs::write(dir.join("a.json"), meta("0770001")).unwrap();
    std::fs::write(dir.join("b.wav"), wav_file(900, 5)).unwrap();
    std::fs::write(dir.join("b.wav.json"), meta("0770002")).unwrap();
    std::fs::write(dir.join("c.wav"), wav_file(700, 7)).unwrap(); // no sidecar
    std::fs::write(dir.join("d.wav"), b"just some text pretending").unwrap();
    std::fs::write(dir.join("d.json"), meta("0770004")).unwrap();
    std::fs::write(dir.join("e.mp3"), wav_file(600, 9)).unwrap();
    std::fs::write(dir.join("e.json"), r#"{"direction": "sideways"}"#).unwrap();
    std::fs::write(dir.join("notes.txt"), "not audio").unwrap();
    let path = dir.to_str().unwrap();
    let out = cli.expect(1, &["import", "--company", "Acme", path], "");
    assert!(
        out.contains("2 added, 0 already there, 3 failed, of 5 files"),
        "{out}"
    );
    assert!(
        out.contains("[##############################] 5/5"),
        "progress is shown: {out}"
    );
    assert!(out.contains("failed: c.wav: no sidecar .json"), "{out}");
    assert!(
        out.contains("failed: d.wav: the audio is not WAV, MP3 or Ogg"),
        "{out}"
    );
    assert!(
        out.contains("failed: e.mp3: started_at is required; direction must be inbound"),
        "{out}"
    );
    let again = cli.expect(1, &["import", "--company", "Acme", path], "");
    assert!(
        again.contains("0 added, 2 already there, 3 failed"),
        "{again}"
    );
    assert!(cli
        .expect(2, &["import", "--company", "Acme", "/no/such/folder"], "")
        .contains("cannot read the folder"));
    let empty = tempfile::tempdir().unwrap();
    assert!(cli
        .expect(
            2,
            &[
                "import",
                "--company",
                "Acme",
                empty.path().to_str().unwrap()
            ],
            ""
        )
        .contains("no audio files"));
}
}

#[test]
fn demo_recordings_are_added_in_bulk() {
    let cli = Cli::new();
    let first = cli.expect(0, &["demo"], "");
    assert!(first.contains("Added 3000 demo recordings."), "{first}");
    let more = cli.expect(0, &["demo", "--recordings", "12000"], "");
    assert!(
        more.contains("12000/12000 recordings") && more.contains("Added 12000 demo recordings."),
        "{more}"
    );
    let audio = cli.dir.path().join("audio");
    let audio_files = walk(&audio)
        .into_iter()
        .filter(|p| !p.starts_with(audio.join("tmp")))
        .count();
    assert_eq!(
        audio_files, 24,
        "a dozen shared audio files per demo company (two), not one per row"
    );
}

// `callrec verify` (issue 13): every stored file re-hashed against the
// fingerprint taken at ingest; missing, altered and orphaned files are
// named and the exit code is 1.
on_each_backend! {
    fn verify_names_missing_altered_and_orphaned_audio(cli) {
    cli.expect(0, &["demo", "--recordings", "50"], "");
    let clean = cli.expect(0, &["verify"], "");
    assert!(clean.contains("recordings checked (100 %)") && clean.contains(": 0 missing, 0 altered, 0 orphaned files."), "{clean}");
    assert!(cli.expect(0, &["verify", "--help"], "").contains("--company"));
    assert!(cli.expect(2, &["verify", "--company", "Nobody Ltd"], "").contains("no company named"));

    let audio = cli.dir.path().join("audio");
    let mut files: Vec<_> = walk(&audio).into_iter().filter(|p| !p.starts_with(audio.join("tmp"))).collect();
    files.sort();
    let mut bytes = std::fs::read(&files[0]).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&files[0], bytes).unwrap();
    std::fs::remove_file(&files[1]).unwrap();
    // A stray file where a recording's audio would be stored.
    let company_dir = files[2].parent().unwrap().parent().unwrap().parent().unwrap();
    let stray = company_dir.join("00").join("00").join("0".repeat(64));
    std::fs::create_dir_all(stray.parent().unwrap()).unwrap();
    std::fs::write(&stray, b"not a recording").unwrap();
    let young = cli.expect(1, &["verify"], "");
    assert!(!young.contains("ORPHANED"), "a file this new may be an upload in progress: {young}");
    let a_while_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(120);
    std::fs::OpenOptions::new().write(true).open(&stray).unwrap().set_modified(a_while_ago).unwrap();

    let found = cli.expect(1, &["verify"], "");
    assert!(found.contains("ALTERED  recording ") && found.contains("MISSING  recording "), "{found}");
    let company_folder = company_dir.file_name().unwrap().to_string_lossy().into_owned();
    assert!(found.contains(&format!("ORPHANED {company_folder}/{}:", "0".repeat(64))), "{found}");
    assert!(!found.contains(" 0 altered") && !found.contains(" 0 missing") && found.contains(" 1 orphaned files."), "{found}");
    assert!(found.contains("restore the files from a backup"), "{found}");
    }
}

// `callrec audit verify` and `anchor` (issue 13): intact, then an entry
// edited in the database is named and the exit code is 1; anchors kept in
// a file are checked.
on_each_backend! {
    fn audit_verify_names_an_edited_entry(cli) {
    company_admin(cli, "audit.admin");
    cli.expect(0, &["user", "reset-mfa", "audit.admin"], "");
    let intact = cli.expect(0, &["audit", "verify"], "");
    assert!(intact.contains("intact") && intact.contains("The audit log is intact."), "{intact}");
    let anchors = cli.expect(0, &["audit", "anchor"], "");
    assert!(anchors.starts_with("# callrec audit anchors"), "{anchors}");
    let file = cli.dir.path().join("anchors.txt");
    std::fs::write(&file, &anchors).unwrap();
    let checked = cli.expect(0, &["audit", "verify", "--anchors", file.to_str().unwrap()], "");
    assert!(checked.contains("anchor matched") || checked.contains("anchors matched"), "{checked}");

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let store = cli.store(&runtime);
    let pool_sql = "UPDATE audit_log SET details = 'edited' WHERE seq = 1";
    runtime.block_on(callrec_store::testing::execute(&store, pool_sql)).unwrap();
    let broken = cli.expect(1, &["audit", "verify"], "");
    assert!(broken.contains("BROKEN after 0 intact entries: entry #") && broken.contains("(position 1) was changed"), "{broken}");
    assert!(broken.contains("treat the server as compromised"), "{broken}");
    std::fs::write(&file, "not an anchor\n").unwrap();
    assert!(cli.expect(2, &["audit", "verify", "--anchors", file.to_str().unwrap()], "").contains("line 1: not an anchor"));
    assert!(cli.expect(0, &["audit", "--help"], "").contains("anchor"));
    }
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

// Break-glass for users nobody in the portal outranks (security review,
// item 1): `callrec user reset-mfa` clears the registration, ends the
// sessions and is audited with actor `cli`.
on_each_backend! {
    fn reset_mfa_from_the_command_line_is_audited_as_cli(cli) {
    company_admin(cli, "top.admin");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let store = cli.store(&runtime);
    let user = runtime
        .block_on(store.user_by_username("top.admin"))
        .unwrap()
        .unwrap();
    runtime
        .block_on(store.set_up(1, async |write| write.start_mfa_registration(user.id, "ciphertext", "s1").await))
        .unwrap();
    runtime
        .block_on(store.set_up(1, async |write| write.confirm_mfa_registration(user.id, "s1", 5).await))
        .unwrap();
    let out = cli.expect(0, &["user", "reset-mfa", "TOP.ADMIN"], "");
    assert!(out.contains("MFA reset for top.admin"), "{out}");
    assert!(runtime
        .block_on(store.mfa_registration(user.id))
        .unwrap()
        .is_none());
    let entries = runtime
        .block_on(store.audit_entries(&callrec_store::AuditQuery {
            action: Some("mfa.reset".into()),
            limit: 5,
            ..Default::default()
        }))
        .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].actor_name.as_deref(), Some("cli"));
    assert_eq!(entries[0].target.as_deref(), Some("top.admin"));
    assert_eq!(entries[0].details, "registration cleared; 0 sessions ended");
    let err = cli.expect(2, &["user", "reset-mfa", "ghost"], "");
    assert!(err.contains("no user named \"ghost\""), "{err}");
    assert!(cli
        .expect(0, &["user", "reset-mfa", "--help"], "")
        .contains("break-glass"));
}
}

/// Security review, item 11: the data directory is created 0700 and every
/// file callrec writes in it 0600 (database, its WAL, audio, keys); a start
/// on a wider one warns.
#[cfg(unix)]
#[test]
fn the_data_directory_is_private_and_a_wide_one_is_warned_about() {
    use std::os::unix::fs::PermissionsExt;
    let cli = Cli::new();
    let data = cli.dir.path().join("data");
    let data_arg = data.to_str().unwrap();
    cli.expect(
        0,
        &["--data-dir", data_arg, "demo", "--recordings", "20"],
        "",
    );
    cli.expect(0, &["--data-dir", data_arg, "keys", "rotate"], "");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    let mut dirs = 0;
    let mut files = 0;
    let mut stack = vec![data.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                assert_eq!(mode(&path), 0o700, "{}", path.display());
                dirs += 1;
                stack.push(path);
            } else {
                assert_eq!(mode(&path), 0o600, "{}", path.display());
                files += 1;
            }
        }
    }
    assert!(
        dirs >= 3 && files >= 4,
        "{dirs} folders and {files} files checked"
    );
    // A folder opened up by hand is named at the next start.
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let listen = taken.local_addr().unwrap().to_string();
    let output = Command::new(env!("CARGO_BIN_EXE_callrec"))
        .args(["--data-dir", data_arg, "serve", "--listen", &listen])
        .env("CALLREC_LOG", "warn")
        .env_remove("CALLREC_DATABASE_URL")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "the port is taken");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("can be read by other users") && stderr.contains("mode 755"),
        "{stderr}"
    );
}

// `callrec keys rotate` over a real registration: with the key file, with
// CALLREC_SECRET_KEY and _PREVIOUS (the documented procedure for nodes
// sharing a database), and its failure exit when a key is missing.
on_each_backend! {
    fn keys_rotate_re_encrypts_real_registrations(cli) {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    use callrec_domain::totp::TotpSecret;
    use callrec_app::Keyring;
    let key =
        |line: &str| -> [u8; 32] { STANDARD.decode(line.trim()).unwrap().try_into().unwrap() };
    let file_keys = || -> Vec<[u8; 32]> {
        std::fs::read_to_string(cli.dir.path().join("mfa-keys"))
            .unwrap()
            .lines()
            .map(key)
            .collect()
    };
    company_admin(cli, "key.user");
    cli.expect(0, &["keys", "rotate"], "");
    let first = file_keys()[0];
    // A registration encrypted with the oldest key, as an older node left it.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let store = cli.store(&runtime);
    let user = runtime
        .block_on(store.user_by_username("key.user"))
        .unwrap()
        .unwrap();
    let secret = TotpSecret::from_bytes([7; 20]);
    let old = Keyring::new(first, &[]).encrypt(user.id, &secret);
    runtime
        .block_on(store.set_up(1, async |write| write.start_mfa_registration(user.id, &old, "s").await))
        .unwrap();
    runtime
        .block_on(store.set_up(1, async |write| write.confirm_mfa_registration(user.id, "s", 1).await))
        .unwrap();
    let stored = || {
        runtime.block_on(store.mfa_ciphertexts()).unwrap()[0]
            .1
            .clone()
    };

    let out = cli.expect(0, &["keys", "rotate"], "");
    assert!(out.contains("Re-encrypted 1 of 1 secrets"), "{out}");
    let newest = *file_keys().last().unwrap();
    assert_eq!(file_keys().len(), 3);
    assert_eq!(
        Keyring::new(newest, &[])
            .decrypt(user.id, &stored())
            .unwrap(),
        secret,
        "readable with the new key alone"
    );
    assert!(
        Keyring::new(first, &[])
            .decrypt(user.id, &stored())
            .is_err(),
        "no longer with the old one"
    );

    // CALLREC_SECRET_KEY: the new key there, the old in _PREVIOUS.
    let env_key = [9u8; 32];
    let env = [
        ("CALLREC_SECRET_KEY", STANDARD.encode(env_key)),
        ("CALLREC_SECRET_KEY_PREVIOUS", STANDARD.encode(newest)),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let out = cli.expect_with(0, &["keys", "rotate"], "", &env);
    assert!(out.contains("Re-encrypted 1 of 1 secrets"), "{out}");
    assert_eq!(
        Keyring::new(env_key, &[])
            .decrypt(user.id, &stored())
            .unwrap(),
        secret
    );

    // A key that cannot read the secret: exit 1, saying what to do; nothing changes.
    let before = stored();
    let wrong = STANDARD.encode([3u8; 32]);
    let out = cli.expect_with(
        1,
        &["keys", "rotate"],
        "",
        &[("CALLREC_SECRET_KEY", wrong.as_str())],
    );
    assert!(
        out.contains("could not be read") && out.contains("CALLREC_SECRET_KEY_PREVIOUS"),
        "{out}"
    );
    assert_eq!(stored(), before);
}
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

// The purge job killed with SIGKILL at five points mid-run (issue 13): after
// each kill no row lacks its audio and no file is lost track of; the next
// run finishes the work, and only recordings within retention are left.
on_each_backend! {
    fn purge_killed_mid_run_resumes_with_nothing_half_done(cli) {
    assert!(cli.expect(0, &["purge", "--help"], "").contains("--batch"));
    cli.expect(0, &["demo", "--recordings", "1500"], "");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let store = cli.store(&runtime);
    // Acme keeps 30 days of its 90 days of demo calls.
    runtime.block_on(callrec_store::testing::execute(&store, "UPDATE companies SET retention = '30d' WHERE name = 'Acme Telecom'")).unwrap();
    let (_, _, before) = purge_loose_ends(cli, &runtime);
    // Each run is killed right after a batch's progress line, never on a
    // timer: every kill lands mid-run.
    for batches in [1usize, 3, 5, 7, 9] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_callrec"))
            .args(["purge", "--batch", "2"])
            .env("CALLREC_DATA_DIR", cli.dir.path())
            .env_remove("CALLREC_DATABASE_URL")
            .env("CALLREC_LOG", "warn")
            .envs(cli.database_url.iter().map(|url| ("CALLREC_DATABASE_URL", url)))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        kill_after_progress(&mut child, "recordings past retention", batches);
        let (rows_without_audio, untracked_files, _) = purge_loose_ends(cli, &runtime);
        assert_eq!((rows_without_audio, untracked_files), (0, 0), "after a kill after {batches} batches");
        // The dead run's lease must expire before another run may work.
        runtime.block_on(callrec_store::testing::execute(&store, "DELETE FROM job_leases")).unwrap();
    }
    let done = cli.expect(0, &["purge"], "");
    assert!(done.starts_with("Purged ") || done.contains("\nPurged "), "{done}");
    let (rows_without_audio, untracked_files, after) = purge_loose_ends(cli, &runtime);
    assert_eq!((rows_without_audio, untracked_files), (0, 0));
    assert!(runtime.block_on(store.purged_audio(10)).unwrap().is_empty(), "the queue is worked off");
    let due: i64 = {
        // Kept through the whole of its last day (UTC, the default zone).
        let now_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
        let cutoff = callrec_domain::retention::Retention::Days(30).cutoff(&callrec_domain::zone::Zone::utc(), now_ms).unwrap();
        let acme = runtime.block_on(store.company_by_name("Acme Telecom")).unwrap().unwrap();
        runtime.block_on(store.count_due(acme.id, cutoff)).unwrap()
    };
    assert_eq!(due, 0, "nothing due is left");
    assert!(after < before && after > 0, "{before} → {after}");
    eprintln!("purge: 5 of 5 runs killed mid-way, on progress lines; {before} → {after} recordings");
    let again = cli.expect(0, &["purge"], "");
    assert!(again.contains("Purged 0 recordings past their retention"), "{again}");
    }
}

// CALLREC_DEFAULT_RETENTION sets new companies' retention; a bad value is a
// clear usage error (exit 2) and adds nothing.
#[test]
fn new_companies_take_the_default_retention() {
    let cli = Cli::new();
    let added = cli.expect_with(
        0,
        &["company", "add", "Acme"],
        "",
        &[("CALLREC_DEFAULT_RETENTION", "7 years")],
    );
    assert!(
        added.contains("Added company \"Acme\" (retention: 7 years)."),
        "{added}"
    );
    let plain = cli.expect(0, &["company", "add", "Globex"], "");
    assert!(plain.contains("(retention: Keep forever)"), "{plain}");
    let refused = cli.expect_with(
        2,
        &["company", "add", "Initech"],
        "",
        &[("CALLREC_DEFAULT_RETENTION", "a while")],
    );
    assert!(
        refused.contains("CALLREC_DEFAULT_RETENTION")
            && refused.contains("use forever, a number of days"),
        "{refused}"
    );
    let refused = cli.expect_with(
        2,
        &["purge"],
        "",
        &[("CALLREC_DELETED_RETENTION_DAYS", "0")],
    );
    assert!(
        refused.contains(
            "--deleted-retention-days / CALLREC_DELETED_RETENTION_DAYS must be greater than zero"
        ),
        "{refused}"
    );
    let list = cli.expect(0, &["company", "list"], "");
    assert!(!list.contains("Initech"), "{list}");
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

// `callrec keys rotate --company C --data` killed with SIGKILL three times
// mid-run (issue 13): after each kill every recording still verifies (each
// file whole, on the old key or the new); the next run finishes with the
// same new key, and only that key is left.
on_each_backend! {
    fn reencryption_killed_mid_run_resumes(cli) {
    cli.expect(0, &["company", "add", "Acme"], "");
    let folder = cli.dir.path().join("in");
    std::fs::create_dir_all(&folder).unwrap();
    for n in 0..120u32 {
        let samples: Vec<i16> = (0..20_000u32).map(|i| (i.wrapping_mul(n + 3) % 30_011) as i16).collect();
        std::fs::write(folder.join(format!("call{n}.wav")), callrec_domain::audio::pcm_wav(&samples, 8000)).unwrap();
        let meta = format!(r#"{{"started_at": "2026-11-20T09:{:02}:00Z", "direction": "inbound", "from": "0770{n}", "to": "2001"}}"#, n % 60);
        std::fs::write(folder.join(format!("call{n}.json")), meta).unwrap();
    }
    cli.expect(0, &["import", "--company", "Acme", folder.to_str().unwrap()], "");
    assert!(sealed_with(cli).iter().all(|k| *k == Some(1)), "sealed with key 1 at ingest");
    assert!(cli.expect(0, &["keys", "rotate", "--help"], "").contains("--data"));
    assert!(cli.expect(2, &["keys", "rotate", "--data"], "").contains("--company"));

    // Each run is killed right after its n-th progress line (a tenth of
    // the files), never on a timer: every kill lands mid-run, with the
    // lease held (a sleep sometimes killed a run before it began).
    for tenths in [1usize, 4, 7] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_callrec"))
            .args(["keys", "rotate", "--company", "Acme", "--data"])
            .env("CALLREC_DATA_DIR", cli.dir.path())
            .env_remove("CALLREC_DATABASE_URL")
            .env_remove("CALLREC_SECRET_KEY")
            .env("CALLREC_LOG", "warn")
            .envs(cli.database_url.iter().map(|url| ("CALLREC_DATABASE_URL", url)))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        kill_after_progress(&mut child, "re-sealed or checked", tenths);
        let checked = cli.expect(0, &["verify"], "");
        assert!(checked.contains("Checked 120 recordings: 0 missing, 0 altered"), "after a kill at {tenths} tenths: {checked}");
        // While the dead run's lease lasts (five minutes), no other may seal.
        let busy = cli.expect(1, &["keys", "rotate", "--company", "Acme", "--data"], "");
        assert!(busy.contains("another run is sealing audio now"), "{busy}");
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(callrec_store::testing::execute(&cli.store(&runtime), "DELETE FROM job_leases")).unwrap();
        assert!(sealed_with(cli).iter().all(|k| matches!(k, Some(1) | Some(2))), "each file on the old key or the new");
    }
    let done = cli.expect(0, &["keys", "rotate", "--company", "Acme", "--data"], "");
    assert!(done.contains("audio sealed with data key 2") && done.contains("older keys kept until a run at least 10 minutes after"), "uploads in flight may hold key 1: {done}");
    assert!(sealed_with(cli).iter().all(|k| *k == Some(2)), "every file on the new key");
    // Ten minutes on (the key's age moved back), the next run retires key 1
    // and makes no key 3.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let store = cli.store(&runtime);
    runtime.block_on(callrec_store::testing::execute(&store, "UPDATE data_keys SET created_at = created_at - 601")).unwrap();
    let retired = cli.expect(0, &["keys", "rotate", "--company", "Acme", "--data"], "");
    assert!(retired.contains("audio sealed with data key 2 (0 files re-sealed, 120 already were); older keys retired"), "{retired}");
    let acme = runtime.block_on(store.company_by_name("Acme")).unwrap().unwrap();
    assert_eq!(runtime.block_on(store.count_data_keys(acme.id)).unwrap(), 1);
    let checked = cli.expect(0, &["verify"], "");
    assert!(checked.contains("0 missing, 0 altered"), "{checked}");
    eprintln!("re-encryption: 3 of 3 runs killed mid-way, on progress lines");
    }
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

// `callrec migrate` seals audio stored before sealing existed; run again,
// it finds nothing left to do.
#[test]
fn migrate_seals_plain_audio() {
    let cli = Cli::new();
    cli.expect(0, &["company", "add", "Acme"], "");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let store = cli.store(&runtime);
    let blobs = callrec_store::BlobStore::new(cli.dir.path());
    let acme = runtime
        .block_on(store.company_by_name("Acme"))
        .unwrap()
        .unwrap();
    // Files of the recordings stored before sealing (one without a
    // recording is an orphan: never sealed, swept instead).
    for n in 0..3u8 {
        let stored = runtime
            .block_on(blobs.put(&[b"RIFF....WAVE plain ".as_slice(), &[n]].concat(), acme.id))
            .unwrap();
        let new = callrec_store::NewRecording {
            id: callrec_domain::recording::RecordingId::from_bytes([n + 1; 16]),
            company_id: acme.id,
            team_id: None,
            user_id: None,
            extension: None,
            direction: callrec_domain::recording::Direction::Inbound,
            calling_number: callrec_domain::PhoneNumber::from_stored("2001").unwrap(),
            called_number: callrec_domain::PhoneNumber::from_stored("2002").unwrap(),
            started_at_ms: 1_800_000_000_000,
            duration_ms: 1000,
            format: callrec_domain::audio::AudioFormat::Wav,
            size_bytes: stored.size as i64,
            sha256: stored.sha256.clone(),
            storage_key: stored.key.clone(),
            external_id: None,
        };
        runtime
            .block_on(store.insert_recording(&new, 1_800_000_000))
            .unwrap();
    }
    assert_eq!(sealed_with(&cli), vec![None; 3]);
    let out = cli.expect(0, &["migrate"], "");
    assert!(
        out.contains("sealed 3 files that were plain; 0 were sealed already"),
        "{out}"
    );
    assert_eq!(sealed_with(&cli), vec![Some(1); 3]);
    let again = cli.expect(0, &["migrate"], "");
    assert!(
        again.contains("sealed 0 files that were plain; 3 were sealed already"),
        "{again}"
    );
}

// Every node must hold the same master key (issue 14): the first start
// records a check value, a node with another key is refused with what to
// do, and a rotation (new key, old one as previous) moves the check on.
on_each_backend! {
    fn a_node_with_another_master_key_is_refused(cli) {
    use base64::Engine;
    let key = |n: u8| base64::engine::general_purpose::STANDARD.encode([n; 32]);
    let (a, b) = (key(1), key(2));
    cli.expect_with(0, &["migrate"], "", &[("CALLREC_SECRET_KEY", a.as_str())]);
    let refused = cli.expect_with(1, &["migrate"], "", &[("CALLREC_SECRET_KEY", b.as_str())]);
    assert!(refused.contains("every node must use the same key") && refused.contains("callrec keys generate"), "{refused}");
    assert!(!refused.contains(&b) && !refused.contains(&a), "no key in the message");
    cli.expect_with(0, &["migrate"], "", &[("CALLREC_SECRET_KEY", a.as_str())]);
    // Rotated: B current, A previous; from then on A alone is refused.
    cli.expect_with(0, &["migrate"], "", &[("CALLREC_SECRET_KEY", b.as_str()), ("CALLREC_SECRET_KEY_PREVIOUS", a.as_str())]);
    cli.expect_with(1, &["migrate"], "", &[("CALLREC_SECRET_KEY", a.as_str())]);
    cli.expect_with(0, &["migrate"], "", &[("CALLREC_SECRET_KEY", b.as_str())]);
    }
}

#[test]
fn keys_generate_prints_a_new_key_each_time() {
    use base64::Engine;
    let cli = Cli::new();
    let first = cli.expect(0, &["keys", "generate"], "");
    let second = cli.expect(0, &["keys", "generate"], "");
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(first.trim())
        .unwrap();
    assert_eq!(decoded.len(), 32, "{first}");
    assert_ne!(first, second);
}

#[test]
fn bad_log_formats_and_audio_stores_are_refused() {
    let cli = Cli::new();
    let out = cli.expect_with(2, &["migrate"], "", &[("CALLREC_LOG_FORMAT", "xml")]);
    assert!(out.contains("json or text"), "{out}");
    for (url, says) in [
        ("ftp://x", "s3://bucket"),
        ("s3://A", "bucket name"),
        ("file://relative", "absolute"),
    ] {
        let out = cli.expect_with(2, &["migrate"], "", &[("CALLREC_AUDIO_STORE", url)]);
        assert!(
            out.contains("CALLREC_AUDIO_STORE") && out.contains(says),
            "{url}: {out}"
        );
    }
    let out = cli.expect_with(
        2,
        &["migrate"],
        "",
        &[
            ("CALLREC_AUDIO_STORE", "s3://calls"),
            ("CALLREC_S3_ENDPOINT", "127.0.0.1:9000"),
        ],
    );
    assert!(out.contains("http://"), "{out}");
    let out = cli.expect(2, &["audio", "migrate", "--to", "nowhere"], "");
    assert!(out.contains("--to"), "{out}");
    let out = cli.expect(
        2,
        &[
            "serve",
            "--listen",
            "127.0.0.1:8088",
            "--metrics-listen",
            "127.0.0.1:8088",
        ],
        "",
    );
    assert!(out.contains("must differ"), "{out}");
    let out = cli.expect(2, &["serve", "--metrics-listen", "everywhere"], "");
    assert!(out.contains("127.0.0.1:9464"), "{out}");
}

// `callrec audio migrate --to s3://…` (issue 14): copies every file with
// progress; a second run copies nothing new; the portal then reads the
// bucket (`callrec verify` finds everything intact there).
#[test]
fn audio_migrate_moves_the_audio_to_a_bucket_and_resumes() {
    let Some(s3) = callrec_store::testing::test_s3(
        "cli::audio_migrate_moves_the_audio_to_a_bucket_and_resumes",
    ) else {
        return;
    };
    let cli = Cli::new();
    cli.expect(0, &["demo", "--recordings", "20"], "");
    let target = format!("s3://{}/{}", s3.bucket, s3.prefix);
    let endpoint = s3.endpoint.clone().unwrap();
    let env = [("CALLREC_S3_ENDPOINT", endpoint.as_str())];
    let first = cli.expect_with(0, &["audio", "migrate", "--to", &target], "", &env);
    assert!(
        first.contains("files copied or checked (100 %)") && first.contains("were there already"),
        "{first}"
    );
    assert!(
        first.contains(&format!("CALLREC_AUDIO_STORE={target}")),
        "says what to do next: {first}"
    );
    let again = cli.expect_with(0, &["audio", "migrate", "--to", &target], "", &env);
    assert!(again.contains("Copied 0 files"), "{again}");
    let on_s3 = [
        ("CALLREC_S3_ENDPOINT", endpoint.as_str()),
        ("CALLREC_AUDIO_STORE", target.as_str()),
    ];
    let verified = cli.expect_with(0, &["verify"], "", &on_s3);
    assert!(
        verified.contains(": 0 missing, 0 altered, 0 orphaned files."),
        "{verified}"
    );
}

// `callrec backup` / `restore` (issue 14) with the keys in the data
// directory: the key file travels with the backup and the restored portal
// reads its audio; on PostgreSQL the backup says to take pg_dump first.
on_each_backend! {
    fn a_backup_restores_with_its_key_file(cli) {
    cli.expect(0, &["demo", "--recordings", "10"], "");
    let backup = cli.dir.path().join("backup");
    let said = cli.expect(0, &["backup", backup.to_str().unwrap()], "");
    assert!(said.contains("Backed up into") && said.contains("the key file"), "{said}");
    assert!(backup.join("mfa-keys").exists() && backup.join("backup.json").exists());
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(backup.join("backup.json")).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the manifest is the operator's only (wave 2, item 8)");
    }
    let again = cli.expect(1, &["backup", backup.to_str().unwrap()], "");
    assert!(again.contains("is not empty"), "{again}");
    if cli.database_url.is_some() {
        assert!(said.contains("pg_dump"), "{said}");
        assert!(!backup.join("callrec.db").exists());
        let restored = Cli::new();
        let out = restored.expect(1, &["restore", backup.to_str().unwrap()], "");
        assert!(out.contains("PostgreSQL") && out.contains("pg_restore"), "{out}");
        return;
    }
    let restored = Cli::new();
    let out = restored.expect(0, &["restore", backup.to_str().unwrap()], "");
    assert!(out.contains("audio files copied"), "{out}");
    let verified = restored.expect(0, &["verify"], "");
    assert!(verified.contains(": 0 missing, 0 altered, 0 orphaned files."), "{verified}");
    assert!(restored.expect(1, &["restore", "/no/such/backup"], "").contains("is not a callrec backup"));
    }
}

// `callrec company set --retention` (security review, wave 2, item 1): a
// shorter period waits out the notice period, shown by `company list`; the
// present period again cancels it; a longer one takes effect at once; each
// change audited as cli; bad input exits 2 and writes nothing.
on_each_backend! {
    fn company_set_changes_retention_with_notice(cli) {
    cli.expect(0, &["company", "add", "Acme"], "");
    assert!(cli.expect(0, &["company", "set", "--help"], "").contains("--retention"));
    let scheduled = cli.expect(0, &["company", "set", "--company", "Acme", "--retention", "1 day"], "");
    assert!(scheduled.contains("\"Acme\" keeps recordings for 1 day from ") && scheduled.contains("until then for Keep forever"), "{scheduled}");
    let list = cli.expect(0, &["company", "list"], "");
    assert!(list.contains("Acme\tMFA Disabled\tretention: Keep forever\tshorter retention 1 day from "), "{list}");
    let cancelled = cli.expect(0, &["company", "set", "--company", "Acme", "--retention", "forever"], "");
    assert!(cancelled.contains("now keeps recordings for Keep forever"), "{cancelled}");
    assert!(!cli.expect(0, &["company", "list"], "").contains("shorter retention"));
    // No notice: in force at once.
    let now = cli.expect_with(0, &["company", "set", "--company", "Acme", "--retention", "7 years"], "", &[("CALLREC_RETENTION_NOTICE_DAYS", "0")]);
    assert!(now.contains("keeps recordings for 7 years from "), "{now}");
    assert!(cli.expect(0, &["company", "list"], "").contains("retention: 7 years"));
    // Longer: at once.
    let longer = cli.expect(0, &["company", "set", "--company", "Acme", "--retention", "forever"], "");
    assert!(longer.contains("now keeps recordings for Keep forever"), "{longer}");
    for (args, said) in [
        (vec!["company", "set", "--company", "Acme", "--retention", "a while"], "--retention:"),
        (vec!["company", "set", "--company", "Nobody", "--retention", "1 day"], "no company named"),
        (vec!["company", "set", "--company", "Acme"], "--retention"),
    ] {
        let refused = cli.expect(2, &args, "");
        assert!(refused.contains(said), "{args:?}: {refused}");
    }
    let refused = cli.expect_with(2, &["company", "set", "--company", "Acme", "--retention", "1 day"], "", &[("CALLREC_RETENTION_NOTICE_DAYS", "400")]);
    assert!(refused.contains("from 0 to 365"), "{refused}");
    assert!(cli.expect(0, &["company", "list"], "").contains("retention: Keep forever\n"), "nothing written by the refusals");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let store = cli.store(&runtime);
    let entries = runtime.block_on(store.audit_entries(&callrec_store::AuditQuery {
        action: Some("company.settings_changed".into()),
        limit: 10,
        ..callrec_store::AuditQuery::default()
    })).unwrap();
    assert_eq!(entries.len(), 4, "{entries:?}");
    assert!(entries.iter().all(|e| e.actor_name.as_deref() == Some("cli")));
    assert!(entries[3].details.starts_with("retention Keep forever → 1 day, in force "), "{}", entries[3].details);
    assert!(entries[2].details.contains("the change to 1 day due") && entries[2].details.ends_with("cancelled"), "{}", entries[2].details);
    }
}

/// Mail needs the address users type, for the links in mails: `serve`
/// refuses to start without it (acceptance check, wave 2).
#[test]
fn mail_without_a_public_url_refuses_to_start() {
    let cli = Cli::new();
    let refused = cli.expect_with(
        2,
        &["serve", "--listen", "127.0.0.1:0"],
        "",
        &[
            ("CALLREC_SMTP_URL", "smtp://127.0.0.1:1"),
            ("CALLREC_MAIL_FROM", "Call Recording <calls@example.com>"),
        ],
    );
    assert!(
        refused.contains("CALLREC_PUBLIC_URL") && refused.contains("CALLREC_SMTP_URL"),
        "{refused}"
    );
}
