//! Companies, teams, users and API tokens from the command line.

use super::*;

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

// `callrec company set --country`: the country national numbers are typed
// in, checked before anything changes, "default" for the portal's.
on_each_backend! {
    fn company_set_changes_the_country_for_phone_numbers(cli) {
    cli.expect(0, &["company", "add", "Acme"], "");
    assert!(cli.expect(0, &["company", "set", "--help"], "").contains("--country <CODE>"));
    let said = cli.expect(0, &["company", "set", "--company", "Acme", "--country", "us"], "");
    assert!(said.contains("\"Acme\" reads national phone numbers as United States of America (+1)."), "{said}");
    for (args, said) in [
        (vec!["company", "set", "--company", "Acme", "--country", "XX"], "--country:"),
        (vec!["company", "set", "--company", "Acme", "--country", "DE", "--retention", "soon"], "--retention:"),
    ] {
        let refused = cli.expect(2, &args, "");
        assert!(refused.contains(said), "{args:?}: {refused}");
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let store = cli.store(&runtime);
    let acme = runtime.block_on(store.company_by_name("Acme")).unwrap().unwrap();
    assert_eq!(acme.phone_country.as_deref(), Some("US"), "the refusals changed nothing");
    let said = cli.expect_with(0, &["company", "set", "--company", "Acme", "--country", "default"], "", &[("CALLREC_DEFAULT_COUNTRY", "IE")]);
    assert!(said.contains("as Ireland (+353), the portal's default."), "{said}");
    let acme = runtime.block_on(store.company_by_name("Acme")).unwrap().unwrap();
    assert_eq!(acme.phone_country, None);
    let entries = runtime.block_on(store.audit_entries(&callrec_store::AuditQuery {
        action: Some("company.settings_changed".into()),
        limit: 10,
        ..callrec_store::AuditQuery::default()
    })).unwrap();
    let details: Vec<&str> = entries.iter().map(|e| e.details.as_str()).collect();
    assert_eq!(details, ["country for phone numbers US → the default", "country for phone numbers the default → US"]);
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
    assert!(cli.expect(0, &["company", "list"], "").contains("retention: Keep forever\ttranscription: off\n"), "nothing written by the refusals");
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

// `callrec company set --transcription / --backfill-days / --redaction`
// (issue 28): on with the last days' calls queued, their progress shown;
// bad values exit 2 and write nothing; every change audited as cli.
on_each_backend! {
    fn company_set_turns_transcription_on_and_queues_the_days_asked(cli) {
    cli.expect(0, &["company", "add", "Acme"], "");
    let help = cli.expect(0, &["company", "set", "--help"], "");
    assert!(help.contains("--transcription <on|off>") && help.contains("--backfill-days <DAYS>") && help.contains("--redaction <off|transcript|audio>"), "{help}");
    for (args, said) in [
        (vec!["company", "set", "--company", "Acme", "--transcription", "maybe"], "invalid value 'maybe'"),
        (vec!["company", "set", "--company", "Acme", "--transcription", "on", "--backfill-days", "ten"], "--backfill-days: Enter the days"),
        (vec!["company", "set", "--company", "Acme", "--transcription", "on", "--backfill-days", "4000"], "--backfill-days: Enter the days"),
        (vec!["company", "set", "--company", "Acme", "--redaction", "some"], "invalid value 'some'"),
        (vec!["company", "set", "--company", "Acme", "--wait"], "--backfill-days"),
    ] {
        let refused = cli.expect(2, &args, "");
        assert!(refused.contains(said), "{args:?}: {refused}");
    }
    assert!(cli.expect(0, &["company", "list"], "").contains("transcription: off"), "nothing written by the refusals");
    let refused = cli.expect(2, &["company", "set", "--company", "Acme", "--backfill-days", "3"], "");
    assert!(refused.contains("Calls can be queued only with Transcription on"), "{refused}");
    let on = cli.expect(0, &["company", "set", "--company", "Acme", "--transcription", "on", "--backfill-days", "30", "--redaction", "audio"], "");
    assert!(on.contains("\"Acme\": transcription on, redaction Transcript and audio.") && on.contains("Queued 0 recordings of the last 30 days") && on.contains("Transcripts: 0 made, 0 waiting, 0 failed."), "{on}");
    assert!(cli.expect(0, &["company", "list"], "").contains("transcription: on"));
    let off = cli.expect(0, &["company", "set", "--company", "Acme", "--transcription", "off"], "");
    assert!(off.contains("transcription off, redaction Transcript and audio."), "{off}");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let store = cli.store(&runtime);
    let entries = runtime.block_on(store.audit_entries(&callrec_store::AuditQuery {
        action: Some("company.transcription_changed".into()),
        limit: 10,
        ..callrec_store::AuditQuery::default()
    })).unwrap();
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert!(entries.iter().all(|e| e.actor_name.as_deref() == Some("cli")));
    assert_eq!(entries[1].details, "transcription Off → On; redaction Transcript only → Transcript and audio; 0 recordings of the last 30 days queued");
    }
}
