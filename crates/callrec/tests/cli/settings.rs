//! Help, settings and bad input: what every command says and refuses.

use super::*;

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

on_each_backend! {
    fn recording_sources_and_numbers_are_kept_with_clear_refusals(cli) {
    cli.expect(0, &["company", "add", "Acme"], "");
    cli.expect(0, &["company", "add", "Globex"], "");
    for sub in ["add-source", "list", "remove", "set-credentials", "add-numbers", "list-numbers", "remove-numbers"] {
        let help = cli.expect(0, &["capture", sub, "--help"], "");
        assert!(help.contains("--company"), "{sub}: {help}");
    }
    let out = cli.expect(0, &["capture", "add-numbers", "--company", "Acme", "--first", "+44 20 7946 0000", "--last", "020 7946 0999"], "");
    assert!(out.contains("+442079460000 to +442079460999 (1000 numbers)"), "{out}");
    cli.expect(0, &["capture", "add-numbers", "--company", "Acme", "--first", "200", "--last", "299"], "");
    // Globex cannot have Acme's numbers; both may have extension 200.
    let out = cli.expect(2, &["capture", "add-numbers", "--company", "Globex", "--first", "+442079460500"], "");
    assert!(out.contains("another company has"), "{out}");
    cli.expect(0, &["capture", "add-numbers", "--company", "Globex", "--first", "200"], "");
    let out = cli.expect(2, &["capture", "add-numbers", "--company", "Acme", "--first", "12", "--last", "1"], "");
    assert!(out.contains("as many digits"), "{out}");
    let out = cli.expect(2, &["capture", "add-numbers", "--company", "Nobody", "--first", "200"], "");
    assert!(out.contains("Nobody"), "{out}");
    let list = cli.expect(0, &["capture", "list-numbers"], "");
    assert_eq!(list.lines().count(), 3, "{list}");
    assert!(list.contains("Acme\t200 to 299\t100 extensions") && list.contains("Globex\t200\t1 extension"), "{list}");
    let out = cli.expect(2, &["capture", "remove-numbers", "--company", "Globex", "--first", "+442079460000", "--last", "+442079460999"], "");
    assert!(out.contains("has no numbers") && out.contains("list-numbers"), "{out}");
    cli.expect(0, &["capture", "remove-numbers", "--company", "Acme", "--first", "02079460000", "--last", "+44 20 7946 0999"], "");
    let list = cli.expect(0, &["capture", "list-numbers", "--company", "Acme"], "");
    assert_eq!(list.lines().count(), 1, "{list}");
    let out = cli.expect(2, &["capture", "add-source", "--company", "Acme", "--address", "0.0.0.0/0"], "");
    assert!(out.contains("too wide"), "{out}");
    let out = cli.expect(2, &["capture", "add-source", "--company", "Acme", "--address", "192.0.2.5", "--sip-username", "sbc", "--sip-password-stdin"], "short\n");
    assert!(out.contains("16 to 128"), "{out}");
    let out = cli.expect(0, &["capture", "add-source", "--company", "Acme", "--address", "192.0.2.5", "--sip-username", "sbc", "--sip-password-stdin"], "a long random secret\n");
    assert!(out.contains("192.0.2.5/32"), "{out}");
    let out = cli.expect(2, &["capture", "set-credentials", "--company", "Acme", "--address", "192.0.2.5"], "");
    assert!(out.contains("--clear"), "{out}");
    let out = cli.expect(0, &["capture", "set-credentials", "--company", "Acme", "--address", "192.0.2.5", "--clear"], "");
    assert!(out.contains("address alone"), "{out}");
    let out = cli.expect(0, &["capture", "set-credentials", "--company", "Acme", "--address", "192.0.2.5/32", "--sip-username", "sbc2", "--sip-password-stdin"], "another long random secret\n");
    assert!(out.contains("\"sbc2\""), "{out}");
    let out = cli.expect(2, &["capture", "set-credentials", "--company", "Acme", "--address", "192.0.2.6", "--clear"], "");
    assert!(out.contains("no recording source at 192.0.2.6/32"), "{out}");
}
}

// `callrec company sso` (issue 29): a company's single sign-on set with
// its secret from standard input (discovery read from the real test
// provider), checked before anything changes, audited as cli, turned off.
on_each_backend! {
    fn company_sso_sets_and_turns_off_single_sign_on(cli) {
    let Some(issuer) = callrec_store::testing::test_oidc_issuer("cli::company_sso") else { return };
    cli.expect(0, &["company", "add", "Acme"], "");
    let add = ["user", "add", "--company", "Acme", "--username", "acme.admin", "--level", "company", "--role", "Access to Manage Users", "--password-stdin"];
    cli.expect(0, &add, GOOD_PASSWORD);
    let help = cli.expect(0, &["company", "sso", "--help"], "");
    for flag in ["--issuer <URL>", "--client-id <ID>", "--client-secret-stdin", "--domain <DOMAIN>", "--create-users", "--mfa <idp|portal|both>", "--off", "--required", "--local-admin <USERNAME>"] {
        assert!(help.contains(flag), "{flag}: {help}");
    }
    let base = ["company", "sso", "--company", "Acme", "--issuer", issuer.as_str(), "--client-id", "portal", "--domain", "example.com"];
    for (extra, stdin, said) in [
        (vec!["--client-secret-stdin"], "", "no password on standard input"),
        (vec![], "", "--client-secret-stdin: Enter the client secret"),
        (vec!["--client-secret-stdin", "--mfa", "none"], "s3cret\n", "invalid value 'none'"),
        (vec!["--client-secret-stdin", "--domain", "not a domain"], "s3cret\n", "--domain:"),
        (vec!["--client-secret-stdin", "--required"], "s3cret\n", "--local-admin: Requiring single sign-on needs at least one local administrator"),
        (vec!["--client-secret-stdin", "--local-admin", "nobody"], "s3cret\n", "--local-admin:"),
    ] {
        let args = [&base[..], &extra[..]].concat();
        let refused = cli.expect(2, &args, stdin);
        assert!(refused.contains(said), "{extra:?}: {refused}");
    }
    let bad_issuer = ["company", "sso", "--company", "Acme", "--issuer", "http://idp.example.com", "--client-id", "portal", "--domain", "example.com", "--client-secret-stdin"];
    assert!(cli.expect(2, &bad_issuer, "s3cret\n").contains("--issuer: Issuer URL must start with https://"));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let store = cli.store(&runtime);
    let acme = runtime.block_on(store.company_by_name("Acme")).unwrap().unwrap();
    assert!(runtime.block_on(store.company_sso(acme.id)).unwrap().is_none(), "the refusals changed nothing");

    let args = [&base[..], &["--client-secret-stdin", "--mfa", "both", "--required", "--local-admin", "acme.admin", "--create-users"][..]].concat();
    let said = cli.expect(0, &args, "s3cret-from-stdin\n");
    assert!(said.contains("\"Acme\": single sign-on on for example.com (MFA: Require both for users who manage users or MFA; passwords refused but to local administrators)."), "{said}");
    let saved = runtime.block_on(store.company_sso(acme.id)).unwrap().unwrap();
    assert_eq!(saved.issuer, issuer);
    assert!(saved.required && saved.create_users);
    assert!(!saved.client_secret.contains("s3cret"), "sealed");
    let admin = runtime.block_on(store.user_by_username("acme.admin")).unwrap().unwrap();
    assert!(admin.local_sign_in);
    let off = cli.expect(0, &["company", "sso", "--company", "Acme", "--off"], "");
    assert!(off.contains("\"Acme\": single sign-on turned off."), "{off}");
    assert!(cli.expect(0, &["company", "sso", "--company", "Acme", "--off"], "").contains("was already off"));
    assert!(cli.expect(2, &["company", "sso", "--company", "Acme", "--off", "--issuer", "x"], "").contains("cannot be used with"));
    let entries = runtime.block_on(store.audit_entries(&callrec_store::AuditQuery {
        action: Some("company.sso_changed".into()),
        limit: 10,
        ..callrec_store::AuditQuery::default()
    })).unwrap();
    assert_eq!(entries.len(), 2);
    assert!(entries.iter().all(|e| e.actor_name.as_deref() == Some("cli") && !e.details.contains("s3cret")), "{entries:?}");
    }
}
