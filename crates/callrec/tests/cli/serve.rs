//! `callrec serve` and `demo`: start-up, the first administrator, logging, the data directory.

use super::*;

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
