//! Mail (issue 11): Forgotten your password? with the link read back from
//! a real SMTP server (aiosmtpd, started by scripts/test.sh into a
//! Maildir), security notices, and a mail server that is down.

use crate::harness::*;
use callrec_app::mail::{self, MailSettings};
use callrec_app::Clock;
use callrec_domain::{Level, MfaPolicy, Role};
use callrec_store::{backend_tests, AuditQuery, NewMail};
use std::path::{Path, PathBuf};
use std::time::Duration;

const T: i64 = 1_800_000_000;
const NEW: &str = "a phrase chosen by link";

/// The test SMTP server and its Maildir, or `None` (skipped outside CI).
fn smtp() -> Option<(String, PathBuf)> {
    match (
        std::env::var("CALLREC_TEST_SMTP_URL"),
        std::env::var("CALLREC_TEST_MAILDIR"),
    ) {
        (Ok(url), Ok(dir)) => Some((url, PathBuf::from(dir))),
        _ => {
            assert!(std::env::var_os("CI").is_none(), "CI must run the mail tests: CALLREC_TEST_SMTP_URL is not set (scripts/test.sh starts aiosmtpd)");
            eprintln!("SKIPPED mail test: CALLREC_TEST_SMTP_URL is not set (scripts/test.sh starts aiosmtpd)");
            None
        }
    }
}

fn mail_config(url: &str) -> callrec_web::WebConfig {
    let mut config = test_config();
    config.mail = Some(MailSettings::parse(url, "Call Recording <calls@callrec.test>").unwrap());
    config
}

/// A username no other test uses, so its mail is told apart in the shared
/// Maildir.
fn unique(prefix: &str) -> String {
    format!("{prefix}.{:08x}", rand::random::<u32>())
}

/// Quoted-printable soft breaks and escapes undone, enough to read links.
fn decoded(raw: &str) -> String {
    let joined = raw.replace("=\r\n", "").replace("=\n", "");
    let mut out = String::new();
    let mut chars = joined.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '=' {
            let hex: String = chars.clone().take(2).collect();
            if let Ok(byte) = u8::from_str_radix(&hex, 16) {
                out.push(byte as char);
                chars.next();
                chars.next();
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// The messages to `to` so far.
fn messages_to(maildir: &Path, to: &str) -> Vec<String> {
    let mut found = Vec::new();
    for folder in ["new", "cur"] {
        let Ok(entries) = std::fs::read_dir(maildir.join(folder)) else {
            continue;
        };
        for entry in entries.flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            let header_end = text
                .find("\n\n")
                .or_else(|| text.find("\r\n\r\n"))
                .unwrap_or(text.len());
            let to_line = text[..header_end]
                .lines()
                .any(|line| line.to_ascii_lowercase().starts_with("to:") && line.contains(to));
            if to_line {
                found.push(decoded(&text));
            }
        }
    }
    found
}

/// Waits (up to 15 s) until `count` messages to `to` have arrived.
async fn wait_for(maildir: &Path, to: &str, count: usize) -> Vec<String> {
    for _ in 0..300 {
        let found = messages_to(maildir, to);
        if found.len() >= count {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no mail to {to} within 15 s");
}

fn link_in(message: &str) -> String {
    let start = message
        .find("/reset-password?token=")
        .expect("a reset link");
    message[start..]
        .split(|c: char| c.is_whitespace() || c == '"' || c == '<')
        .next()
        .unwrap()
        .to_string()
}

backend_tests! {
    /// The whole way: the link on the sign-in page, the same answer for
    /// an unknown account, the mail with its link from the SMTP server,
    /// the new password, the link spent, and MFA still asked at sign-in.
    async fn a_forgotten_password_is_reset_by_mail_and_mfa_is_still_asked(db) {
        let Some((url, maildir)) = smtp() else { return };
        let app = spawn_app_with(db, mail_config(&url)).await;
        let seed = app.seed().await;
        let name = unique("forgetful");
        let user = app.user(&seed.acme, Some(&seed.sales), &name, Level::Staff, &[Role::Recordings]).await;
        let email = user.email.clone().unwrap();
        app.store.set_up(0, async |write| write.set_mfa_policy(seed.acme.id, MfaPolicy::Enabled).await).await.unwrap();

        let browser = app.browser();
        let (_, login) = browser.get_text("/login").await;
        assert!(login.contains(r#"<a href="/forgotten-password">Forgotten your password?</a>"#));
        let (status, known) = browser.post_text("/forgotten-password", &[("who", &name.to_uppercase())]).await;
        assert_eq!(status, 200);
        let (_, unknown) = browser.post_text("/forgotten-password", &[("who", "nobody.at.all")]).await;
        assert_eq!(known, unknown, "the same answer whether the account exists or not");
        assert!(known.contains("If the account exists and has an email address, a message is on its way"));

        let message = wait_for(&maildir, &email, 1).await.remove(0);
        assert!(message.contains("Subject: Choose a new password"));
        assert!(message.contains("Content-Type: text/plain") && message.contains("Content-Type: text/html"));
        let link = link_in(&message);
        assert!(!message.contains(PASSWORD), "no secret in a mail");
        // Once sent, the outbox keeps no copy of the link.
        let token_text = link.split("token=").nth(1).unwrap().to_string();
        let mut kept = true;
        for _ in 0..100 {
            kept = app.outbox_bodies().await.iter().any(|body| body.contains(&token_text));
            if !kept {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(!kept, "the sent mail's body is emptied");

        let (status, page) = browser.get_text(&link).await;
        assert_eq!(status, 200);
        assert!(page.contains(&format!("For the account {name}")));
        let token = link.split("token=").nth(1).unwrap().to_string();
        let form = |new: &'static str, confirm: &'static str| vec![("token", token.clone()), ("new_password", new.to_string()), ("confirm_password", confirm.to_string())];
        let post = |form: Vec<(&'static str, String)>| {
            let browser = &browser;
            async move {
                let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                browser.post("/reset-password", &pairs).await
            }
        };
        assert_eq!(post(form("short", "short")).await.status(), 422);
        assert_eq!(post(form(NEW, "not the same phrase")).await.status(), 422);
        let done = post(form(NEW, NEW)).await;
        assert_eq!(location(&done), "/login?reason=password-reset");
        let again = post(form("yet another phrase here", "yet another phrase here")).await;
        assert_eq!(again.status(), 410, "a link works once");
        assert_eq!(browser.get(&link).await.status(), 410);

        assert_eq!(app.browser().login(&name, PASSWORD).await.status(), 401);
        let signed = app.browser().login(&name, NEW).await;
        assert_eq!(location(&signed), "/mfa", "a reset never passes MFA by");
        let notices = wait_for(&maildir, &email, 2).await;
        let notice = notices.iter().find(|m| m.contains("Subject: Your password was changed")).expect("a notice");
        assert!(notice.contains("If this was you, there is nothing to do"));
        let requested = app.store.audit_entries(&AuditQuery { action: Some("user.password_reset_requested".into()), limit: 10, ..AuditQuery::default() }).await.unwrap();
        assert_eq!(requested.len(), 2, "known and unknown requests are both audited");
    }

    /// A link lasts 30 minutes and ends when the password changes
    /// otherwise; requests are limited per account like sign-ins.
    async fn reset_links_expire_end_with_a_new_password_and_are_limited(db) {
        let Some((url, maildir)) = smtp() else { return };
        let clock = Clock::manual(T);
        let mut config = mail_config(&url);
        config.sign_in_per_account.limit = 3;
        let app = spawn_app_on(db, config, clock.clone()).await;
        let seed = app.seed().await;
        let name = unique("timed");
        let user = app.user(&seed.acme, None, &name, Level::Company, &[]).await;
        let email = user.email.clone().unwrap();
        let browser = app.browser();

        browser.post("/forgotten-password", &[("who", &email)]).await;
        let first = link_in(&wait_for(&maildir, &email, 1).await[0]);
        assert_eq!(browser.get(&first).await.status(), 200, "found by email too");
        clock.advance(30 * 60);
        assert_eq!(browser.get(&first).await.status(), 410, "30 minutes");

        browser.post("/forgotten-password", &[("who", &name)]).await;
        let messages = wait_for(&maildir, &email, 2).await;
        let second = messages.iter().map(|m| link_in(m)).find(|l| *l != first).unwrap();
        assert_eq!(browser.get(&second).await.status(), 200);
        // The password changes another way (as `callrec user set-password` does).
        app.store.set_up(T, async |write| write.set_password(user.id, &callrec_store::StoredPassword::permanent("changed elsewhere")).await).await.unwrap();
        assert_eq!(browser.get(&second).await.status(), 410, "a changed password ends the link");

        for _ in 0..2 {
            assert_eq!(browser.post("/forgotten-password", &[("who", &name)]).await.status(), 200);
        }
        let (status, page) = browser.post_text("/forgotten-password", &[("who", &name)]).await;
        assert_eq!(status, 429, "three per account in the window");
        // Three links an hour reach one account, however they are asked for.
        wait_for(&maildir, &email, 3).await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert_eq!(messages_to(&maildir, &email).len(), 3);
        assert!(page.contains("Too many requests. Try again in"));
        let (status, _) = browser.post_text("/forgotten-password", &[("who", "unknown.person")]).await;
        assert_eq!(status, 200, "counted per account typed");
    }
}

backend_tests! {
    /// Users hear of changes to their own security: an authenticator
    /// registered, MFA reset by an administrator (named), a password
    /// changed — each with time and address and what to do, no secrets.
    async fn security_notices_reach_the_user(db) {
        let Some((url, maildir)) = smtp() else { return };
        let app = spawn_app_with(db, mail_config(&url)).await;
        let seed = app.seed().await;
        let name = unique("careful");
        let user = app.user(&seed.acme, Some(&seed.sales), &name, Level::Staff, &[Role::Recordings]).await;
        let email = user.email.clone().unwrap();
        app.store.set_up(0, async |write| write.set_mfa_policy(seed.acme.id, MfaPolicy::Enabled).await).await.unwrap();

        let (browser, _) = crate::mfa::register(&app, &name).await;
        let registered = wait_for(&maildir, &email, 1).await;
        assert!(registered[0].contains("Subject: An authenticator was registered for your account"));
        assert!(registered[0].contains("From address: 127.0.0.1"), "{}", registered[0]);

        let response = browser.post("/my-account/password", &[("current_password", PASSWORD), ("new_password", NEW), ("confirm_password", NEW)]).await;
        assert_eq!(response.status(), 303);
        let messages = wait_for(&maildir, &email, 2).await;
        assert!(messages.iter().any(|m| m.contains("Subject: Your password was changed")));

        // The administrator registers first (MFA is on for Acme now).
        let (admin, _) = crate::mfa::register(&app, "acme.admin").await;
        let response = admin.post(&format!("/users/{}/reset-mfa", user.id), &[]).await;
        assert_eq!(response.status(), 303);
        let messages = wait_for(&maildir, &email, 3).await;
        let reset = messages.iter().find(|m| m.contains("Subject: Your multi-factor authentication was reset")).expect("a reset notice");
        assert!(reset.contains("cleared by the administrator acme.admin"));
        for message in &messages {
            assert!(!message.contains(PASSWORD) && !message.contains(NEW), "no password in any mail");
        }
    }
}

backend_tests! {
    /// The failure that pauses sign-in for an account tells its owner.
    async fn a_paused_sign_in_is_told_to_the_owner(db) {
        let Some((url, maildir)) = smtp() else { return };
        let mut config = mail_config(&url);
        config.sign_in_per_account.limit = 2;
        let app = spawn_app_with(db, config).await;
        let seed = app.seed().await;
        let name = unique("guessed");
        let user = app.user(&seed.acme, None, &name, Level::Company, &[]).await;
        for _ in 0..2 {
            assert_eq!(app.browser().login(&name, "a wrong guess here").await.status(), 401);
        }
        let messages = wait_for(&maildir, user.email.as_deref().unwrap(), 1).await;
        assert!(messages[0].contains("Subject: Sign-in to your account is paused"));
        assert_eq!(app.browser().login(&name, PASSWORD).await.status(), 429);
    }
}

backend_tests! {
    /// The roll-out view lists who has not registered (searchable), and
    /// Remind mails them (issue 12).
    async fn the_rollout_view_lists_and_reminds_the_unregistered(db) {
        let Some((url, maildir)) = smtp() else { return };
        let app = spawn_app_with(db, mail_config(&url)).await;
        let seed = app.seed().await;
        let name = unique("late");
        let late = app.user(&seed.acme, Some(&seed.sales), &name, Level::Staff, &[]).await;
        let root = app.as_user("root").await;
        let page_of = |q: &str| format!("/company-mfa?company={}&q={q}", seed.acme.id);
        let (_, page) = root.get_text(&page_of("")).await;
        for listed in ["acme.agent", "acme.lead", name.as_str()] {
            assert!(page.contains(&format!("<td>{listed}</td>")), "{listed}");
        }
        assert!(page.contains(">Remind</button>"));
        let (_, page) = root.get_text(&page_of("LATE")).await;
        assert!(page.contains(&format!("<td>{name}</td>")) && !page.contains("<td>acme.agent</td>"));

        let company = seed.acme.id.to_string();
        let response = root.post("/company-mfa/remind", &[("company", company.as_str())]).await;
        assert_eq!(location(&response), format!("/company-mfa?company={company}&done=reminders-sent"));
        let reminded = wait_for(&maildir, late.email.as_deref().unwrap(), 1).await;
        assert!(reminded[0].contains("Subject: Please set up multi-factor authentication"));
        let sent = app.store.audit_entries(&AuditQuery { action: Some("mfa.reminders_sent".into()), limit: 5, ..AuditQuery::default() }).await.unwrap();
        assert!(sent[0].details.ends_with("users reminded to register"), "{}", sent[0].details);
    }
}

/// A mail server that does not answer: each failure is retried later, the
/// last gives the message up, and it is listed for Global users. (The
/// sender runs here by hand at chosen times.)
#[tokio::test]
async fn a_mail_server_that_is_down_is_retried_then_given_up() {
    let app = spawn_app(callrec_store::testing::TestDb::sqlite().await).await;
    let db = &app;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let settings = MailSettings::parse(
        &format!("smtp://127.0.0.1:{port}"),
        "Call Recording <calls@callrec.test>",
    )
    .unwrap();
    let message = NewMail {
        to: "someone@example.com".into(),
        subject: "Hello".into(),
        text_body: "t".into(),
        html_body: "<p>h</p>".into(),
    };
    mail::queue(&db.store, message, T).await.unwrap();
    let clock = Clock::manual(T);
    let mut attempts = 0;
    while db.store.failed_mail(10).await.unwrap().is_empty() {
        assert_eq!(
            mail::send_due(&db.store, &settings, &clock).await.unwrap(),
            0
        );
        attempts += 1;
        assert!(attempts <= 7, "given up after its last retry");
        assert!(
            db.store.claim_mail(clock.now(), 0).await.unwrap().is_none(),
            "not due again at once"
        );
        clock.advance(86_400);
    }
    let failed = db.store.failed_mail(10).await.unwrap();
    assert_eq!(failed[0].attempts, 7);
    assert!(
        failed[0].last_error.contains("refused or unreachable"),
        "{}",
        failed[0].last_error
    );
}

backend_tests! {
    /// A recovery code used to sign in, and a new set made, are told to
    /// the user, with how many are left and never a code.
    async fn recovery_codes_are_told_to_the_owner(db) {
        let Some((url, maildir)) = smtp() else { return };
        let app = spawn_app_with(db, mail_config(&url)).await;
        let seed = app.seed().await;
        let name = unique("recovering");
        let user = app.user(&seed.acme, Some(&seed.sales), &name, Level::Staff, &[Role::Recordings, Role::ManageOwnMfa]).await;
        let email = user.email.clone().unwrap();
        app.store.set_up(0, async |write| write.set_mfa_policy(seed.acme.id, MfaPolicy::Enabled).await).await.unwrap();
        let (_, mut authenticator, codes) = crate::mfa::register_with_codes(&app, &name).await;
        wait_for(&maildir, &email, 1).await;

        let browser = app.browser();
        browser.login(&name, PASSWORD).await;
        assert_eq!(browser.post("/mfa/recovery", &[("code", &codes[4])]).await.status(), 303);
        let messages = wait_for(&maildir, &email, 2).await;
        let used = messages.iter().find(|m| m.contains("Subject: One of your recovery codes was used")).expect("a notice");
        assert!(used.contains("instead of your authenticator to sign in") && used.contains("You have 9 left"), "{used}");

        let form = [("return_to", "/recordings"), ("confirming", "1"), ("proof", &authenticator.code())];
        assert_eq!(browser.post("/my-mfa/recovery-codes", &form).await.status(), 200);
        let messages = wait_for(&maildir, &email, 3).await;
        assert!(messages.iter().any(|m| m.contains("Subject: New recovery codes were made for your account")));
        for message in &messages {
            for code in &codes {
                assert!(!message.contains(code.as_str()), "no recovery code in a mail");
            }
        }
    }
}

backend_tests! {
    /// A token made, and a shorter retention chosen, are told by mail to the
    /// company's users who answer for them (security review, wave 2, items
    /// 1 and 3); Remind mails a user at most once a day (item 8).
    async fn company_changes_are_told_and_reminders_are_daily(db) {
        let Some((url, maildir)) = smtp() else { return };
        let app = spawn_app_with(db, mail_config(&url)).await;
        let seed = app.seed().await;
        let name = unique("boss");
        let boss = app.user(&seed.acme, None, &name, Level::Company, &Role::ALL).await;
        let email = boss.email.clone().unwrap();
        let browser = app.as_user(&name).await;
        let (status, _) = browser.post_text("/api-tokens", &[("name", name.as_str()), ("scope", "recordings:read")]).await;
        assert_eq!(status, 200);
        let told = wait_for(&maildir, &email, 1).await;
        let token_mail = told.iter().find(|m| m.contains("Subject: A new API token was made for your company")).expect("the token's mail");
        assert!(token_mail.contains(&format!("made the API token “{name}” for Acme")) || decoded(token_mail).contains(&name), "{token_mail}");
        assert!(!token_mail.contains("crt_"), "never the token itself");

        let response = browser.post("/company-settings", &[("time_zone", ""), ("retention", "days"), ("retention_days", "123"), ("confirm", "1")]).await;
        assert_eq!(location(&response), "/company-settings?done=retention-scheduled");
        let told = wait_for(&maildir, &email, 2).await;
        let shorter = told.iter().find(|m| m.contains("Subject: Recordings will be kept for a shorter time")).expect("the retention mail");
        assert!(decoded(shorter).contains("to 123 days"), "{shorter}");

        // Remind twice: the second mails nobody already reminded today.
        let root = app.as_user("root").await;
        let company = seed.acme.id.to_string();
        for _ in 0..2 {
            root.post("/company-mfa/remind", &[("company", company.as_str())]).await;
        }
        let sent = app.store.audit_entries(&AuditQuery { action: Some("mfa.reminders_sent".into()), limit: 5, ..AuditQuery::default() }).await.unwrap();
        assert_eq!(sent.len(), 2);
        assert!(sent[0].details.starts_with("0 users reminded"), "the second Remind: {}", sent[0].details);
        assert!(!sent[1].details.starts_with("0 users"), "the first: {}", sent[1].details);
    }
}
