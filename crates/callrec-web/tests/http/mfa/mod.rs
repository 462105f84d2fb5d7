//! MFA over HTTP: registration, codes, replay, limits, live policy, the
//! Company MFA page, My MFA and resets — on SQLite and PostgreSQL.

use crate::harness::*;
use callrec_app::Clock;
use callrec_domain::totp::{code_for_step, step_at, TotpSecret};
use callrec_domain::{MfaPolicy, Role};
use callrec_store::{backend_tests, AuditQuery, Store};
use callrec_web::MfaSettings;

/// Codes for a user, never reusing a step (the server refuses replays),
/// read from the portal's clock.
pub struct Authenticator {
    secret: TotpSecret,
    last_step: i64,
    clock: Clock,
}

impl Authenticator {
    /// The next unused code the server accepts now (current step or the next).
    pub fn code(&mut self) -> String {
        let now = self.clock.now();
        let step = (self.last_step + 1).max(step_at(now));
        assert!(step <= step_at(now) + 1, "more than two codes within 30 s");
        self.last_step = step;
        code_for_step(&self.secret, step)
    }

    pub fn wrong_code(&self) -> String {
        let right = code_for_step(&self.secret, step_at(self.clock.now()));
        format!(
            "{:06}",
            (right.parse::<u32>().unwrap() + 500_000) % 1_000_000
        )
    }
}

fn key_from_page(page: &str) -> TotpSecret {
    let start = page
        .find(r#"<code aria-label="Key">"#)
        .expect("key on the page")
        + r#"<code aria-label="Key">"#.len();
    let grouped = &page[start..start + page[start..].find("</code>").unwrap()];
    let base32: String = grouped.chars().filter(|c| *c != ' ').collect();
    assert_eq!(base32.len(), 32, "160-bit key in base32: {grouped}");
    TotpSecret::from_slice(&base32_decode(&base32)).unwrap()
}

fn base32_decode(text: &str) -> Vec<u8> {
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut buffer, mut bits, mut out) = (0u64, 0, Vec::new());
    for c in text.chars() {
        buffer = (buffer << 5) | alphabet.find(c).unwrap() as u64;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    out
}

pub(crate) async fn set_policy(store: &Store, company: &callrec_store::Company, policy: MfaPolicy) {
    store
        .set_up(0, async |write| {
            write.set_mfa_policy(company.id, policy).await
        })
        .await
        .unwrap();
}

/// Signs in with the password and walks through registration; returns the
/// browser (fully signed in) and the authenticator.
pub(crate) async fn register(app: &TestApp, username: &str) -> (Browser, Authenticator) {
    let (browser, authenticator, _) = register_with_codes(app, username).await;
    (browser, authenticator)
}

/// The recovery codes a "Save your recovery codes" pop-up shows.
pub(crate) fn recovery_codes_from(page: &str) -> Vec<String> {
    assert!(page.contains("Save your recovery codes"), "{page}");
    let list = &page[page
        .find(r#"aria-label="Recovery codes""#)
        .expect("the list")..];
    let list = &list[..list.find("</ol>").unwrap()];
    list.split("<code>")
        .skip(1)
        .map(|part| part[..part.find("</code>").unwrap()].to_string())
        .collect()
}

/// `register`, also returning the recovery codes it showed; Continue is
/// clicked with "I have saved these codes" ticked.
pub(crate) async fn register_with_codes(
    app: &TestApp,
    username: &str,
) -> (Browser, Authenticator, Vec<String>) {
    let browser = app.browser();
    let response = browser.login(username, PASSWORD).await;
    assert_eq!(location(&response), "/mfa");
    let (_, page) = browser.get_text("/mfa").await;
    assert!(
        page.contains("Set up multi-factor authentication") && page.contains(">Continue</button>"),
        "{page}"
    );
    let response = browser.post("/mfa/register", &[]).await;
    assert_eq!(location(&response), "/mfa?step=scan");
    let (_, page) = browser.get_text("/mfa?step=scan").await;
    let mut authenticator = Authenticator {
        secret: key_from_page(&page),
        last_step: 0,
        clock: app.clock.clone(),
    };
    let (_, page) = browser.get_text("/mfa?step=code").await;
    assert!(page.contains(r#"<label for="mfa-code">Code</label>"#));
    let (status, page) = browser
        .post_text("/mfa/register/confirm", &[("code", &authenticator.code())])
        .await;
    assert_eq!(status, 200, "{page}");
    let codes = recovery_codes_from(&page);
    assert_eq!(codes.len(), 10, "{codes:?}");
    let response = browser
        .post(
            "/mfa/recovery-codes/saved",
            &[("saved", "on"), ("return_to", "/users")],
        )
        .await;
    assert_eq!(location(&response), "/users");
    (browser, authenticator, codes)
}

/// Password, then a code: a fully signed-in browser.
async fn sign_in_with_code(
    app: &TestApp,
    username: &str,
    authenticator: &mut Authenticator,
) -> Browser {
    let browser = app.browser();
    assert_eq!(location(&browser.login(username, PASSWORD).await), "/mfa");
    let response = browser
        .post("/mfa/verify", &[("code", &authenticator.code())])
        .await;
    assert_eq!(response.status(), 303);
    assert_ne!(location(&response), "/mfa");
    browser
}

pub(crate) async fn audit_actions(store: &Store) -> Vec<String> {
    store
        .audit_entries(&AuditQuery {
            limit: 200,
            ..AuditQuery::default()
        })
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect()
}

pub(crate) fn config_with(mfa: MfaSettings) -> callrec_web::WebConfig {
    let mut config = test_config();
    config.mfa = mfa;
    config
}

backend_tests! {
    /// Three codes in a row a step early: the page after sign-in says the
    /// phone's clock is fast, and Users shows a drift badge (issue 12).
    async fn a_phone_a_step_fast_is_told_about_its_clock(db) {
        let clock = Clock::manual(1_800_000_000);
        let app = spawn_app_on(db, test_config(), clock.clone()).await;
        let seed = app.seed().await;
        set_policy(&app.store, &seed.acme, MfaPolicy::Enabled).await;
        let (_, phone) = register(&app, "acme.agent").await;
        let mut landed = Vec::new();
        for _ in 0..3 {
            clock.advance(120);
            let browser = app.browser();
            assert_eq!(location(&browser.login("acme.agent", PASSWORD).await), "/mfa");
            let early = code_for_step(&phone.secret, step_at(clock.now()) + 1);
            landed.push(location(&browser.post("/mfa/verify", &[("code", &early)]).await));
        }
        assert_eq!(landed, ["/home", "/home", "/home?done=clock-fast"]);
        let (admin, _) = register(&app, "acme.admin").await;
        let (_, page) = admin.get_text("/recordings?done=clock-fast").await;
        assert!(page.contains("clock looks about 30 seconds fast"));
        let (_, users) = admin.get_text("/users").await;
        let row = users.split("<tr").find(|r| r.contains("Modify acme.agent\"")).unwrap();
        assert!(row.contains(">Clock drift<"));
        let row = users.split("<tr").find(|r| r.contains("Modify acme.lead\"")).unwrap();
        assert!(!row.contains(">Clock drift<"));
    }

    async fn mfa_enabled_takes_a_new_sign_in_through_registration(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        set_policy(&app.store, &seed.acme, MfaPolicy::Enabled).await;
        let browser = app.browser();
        let first = browser.login("acme.agent", PASSWORD).await;
        assert_eq!(location(&first), "/mfa");
        // Nothing of the portal until MFA is done.
        for path in ["/recordings", "/users", "/", "/home", "/teams"] {
            assert_eq!(location(&browser.get(path).await), "/mfa", "{path}");
        }
        let (_, page) = browser.get_text("/mfa").await;
        assert!(!page.contains("Main menu") && !page.contains("Recordings"), "no menu, no data");
        assert!(page.contains("Have your authenticator application ready"));
        // The QR code step cannot be skipped to.
        assert!(browser.get_text("/mfa?step=scan").await.1.contains("Set up multi-factor authentication"));
        browser.post("/mfa/register", &[]).await;
        let (_, scan) = browser.get_text("/mfa?step=scan").await;
        assert!(scan.contains(r#"alt="QR code for Call Recording (acme.agent) for your authenticator application""#));
        assert!(scan.contains(r#"src="data:image/svg+xml;base64,"#) && scan.contains(r#"width="240" height="240""#));
        let secret = key_from_page(&scan);
        let mut authenticator = Authenticator { secret, last_step: 0, clock: app.clock.clone() };
        let (status, page) = browser.post_text("/mfa/register/confirm", &[("code", &authenticator.wrong_code())]).await;
        assert_eq!(status, 422);
        assert!(page.contains("Invalid code"));
        assert!(!app.store.user(seed.acme_agent.id).await.unwrap().unwrap().mfa_registered);
        let response = browser.post("/mfa/register/confirm", &[("code", &authenticator.code())]).await;
        assert_eq!(response.status(), 200, "the recovery codes are shown before the portal");
        let old_cookie = first.headers().get("set-cookie").unwrap().to_str().unwrap().split(';').next().unwrap().to_string();
        let new_cookie = response.headers().get("set-cookie").expect("a new session id").to_str().unwrap().to_string();
        assert!(!new_cookie.starts_with(&old_cookie), "the session id changes when MFA is passed");
        let page = response.text().await.unwrap();
        assert_eq!(recovery_codes_from(&page).len(), 10);
        assert!(page.contains(r#"name="return_to" value="/home""#), "Continue goes home");
        assert_eq!(browser.get("/recordings").await.status(), 200);
        assert!(app.store.user(seed.acme_agent.id).await.unwrap().unwrap().mfa_registered);
        assert_eq!(app.store.count_user_sessions(seed.acme_agent.id).await.unwrap(), 1, "the half-signed-in session is gone");
        let actions = audit_actions(&app.store).await;
        for action in ["mfa.registration_started", "mfa.code_refused", "mfa.registration_confirmed"] {
            assert!(actions.contains(&action.to_string()), "{action}: {actions:?}");
        }
        // The key is never shown again.
        let (_, page) = browser.get_text("/mfa?step=scan").await;
        assert!(!page.contains(&authenticator.secret.grouped()));
    }

    async fn abandoning_registration_signs_nobody_in(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        set_policy(&app.store, &seed.acme, MfaPolicy::Enabled).await;
        let browser = app.browser();
        browser.login("acme.agent", PASSWORD).await;
        browser.post("/mfa/register", &[]).await;
        let first = key_from_page(&browser.get_text("/mfa?step=scan").await.1);
        browser.post("/logout", &[]).await;
        assert!(!app.store.user(seed.acme_agent.id).await.unwrap().unwrap().mfa_registered);
        browser.login("acme.agent", PASSWORD).await;
        browser.post("/mfa/register", &[]).await;
        let second = key_from_page(&browser.get_text("/mfa?step=scan").await.1);
        assert_ne!(first, second, "starting again issues a new secret");
        // The first secret no longer works.
        let stale = code_for_step(&first, step_at(app.clock.now()));
        let (status, _) = browser.post_text("/mfa/register/confirm", &[("code", &stale)]).await;
        assert_eq!(status, 422);
    }

    async fn a_registered_user_enters_a_code_at_every_sign_in(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        set_policy(&app.store, &seed.acme, MfaPolicy::Enabled).await;
        let (_, mut authenticator) = register(&app, "acme.agent").await;
        let browser = app.browser();
        assert_eq!(location(&browser.login("acme.agent", PASSWORD).await), "/mfa");
        let (_, page) = browser.get_text("/mfa").await;
        assert!(page.contains(r#"<label for="mfa-code">Code</label>"#) && page.contains(">Continue</button>"));
        assert!(!page.contains("QR code"));
        // An empty Continue just asks again and costs no attempt.
        let (status, page) = browser.post_text("/mfa/verify", &[("code", "")]).await;
        assert_eq!(status, 422);
        assert!(page.contains("Enter the code from your authenticator application."));
        let (_, page) = browser.post_text("/mfa/verify", &[("code", "12345x")]).await;
        assert!(page.contains("Invalid code"));
        let response = browser.post("/mfa/verify", &[("code", &authenticator.code())]).await;
        assert_eq!(location(&response), "/home");
        assert_eq!(browser.get("/recordings").await.status(), 200);
        assert!(audit_actions(&app.store).await.contains(&"mfa.code_accepted".to_string()));
        assert_eq!(app.store.count_user_sessions(seed.acme_agent.id).await.unwrap(), 2);
    }

    async fn a_code_is_accepted_once(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        set_policy(&app.store, &seed.acme, MfaPolicy::Enabled).await;
        let (_, mut authenticator) = register(&app, "acme.agent").await;
        let code = authenticator.code();
        let first = app.browser();
        first.login("acme.agent", PASSWORD).await;
        assert_eq!(first.post("/mfa/verify", &[("code", &code)]).await.status(), 303);
        let second = app.browser();
        second.login("acme.agent", PASSWORD).await;
        let (status, page) = second.post_text("/mfa/verify", &[("code", &code)]).await;
        assert_eq!(status, 422);
        assert!(page.contains("Invalid code: it was already used"));
        assert!(audit_actions(&app.store).await.contains(&"mfa.code_replayed".to_string()));
    }

    async fn fifty_parallel_submissions_of_one_code_let_one_through(db) {
        let config = config_with(MfaSettings { attempt_limit: 1000, hourly_limit: 1000, ..MfaSettings::default() });
        let app = spawn_app_with(db, config).await;
        let seed = app.seed().await;
        set_policy(&app.store, &seed.acme, MfaPolicy::Enabled).await;
        let (_, mut authenticator) = register(&app, "acme.agent").await;
        let mut browsers = Vec::new();
        for _ in 0..50 {
            let browser = app.browser();
            assert_eq!(location(&browser.login("acme.agent", PASSWORD).await), "/mfa");
            browsers.push(browser);
        }
        let code = authenticator.code();
        let tasks: Vec<_> = browsers
            .into_iter()
            .map(|browser| {
                let code = code.clone();
                tokio::spawn(async move { location(&browser.post("/mfa/verify", &[("code", &code)]).await) })
            })
            .collect();
        let mut signed_in = 0;
        for task in tasks {
            if task.await.unwrap() == "/home" {
                signed_in += 1;
            }
        }
        assert_eq!(signed_in, 1, "exactly one of 50 simultaneous submissions is accepted");
    }

    async fn five_wrong_codes_end_the_attempt_across_nodes(db) {
        let config = config_with(MfaSettings::default());
        let app = spawn_app_with(db, config.clone()).await;
        let seed = app.seed().await;
        set_policy(&app.store, &seed.acme, MfaPolicy::Enabled).await;
        let (_, authenticator) = register(&app, "acme.agent").await;
        let other_node = app.second_node().await;
        let browser = app.browser();
        browser.login("acme.agent", PASSWORD).await;
        // The same session on two nodes: the count lives in the database.
        let mut on_other = Browser::new(&other_node);
        on_other.client = browser.client.clone();
        for i in 0..4 {
            let node = if i % 2 == 0 { &browser } else { &on_other };
            let (status, page) = node.post_text("/mfa/verify", &[("code", &authenticator.wrong_code())]).await;
            assert_eq!(status, 422, "attempt {i}");
            assert!(page.contains("Invalid code"));
        }
        let response = on_other.post("/mfa/verify", &[("code", &authenticator.wrong_code())]).await;
        assert_eq!(location(&response), "/login?reason=mfa-attempts");
        assert_eq!(location(&browser.get("/mfa").await), "/login", "the attempt's session is gone");
        let (_, page) = browser.get_text("/login?reason=mfa-attempts").await;
        assert!(page.contains("Too many wrong codes. Sign in again"));
        assert!(audit_actions(&app.store).await.contains(&"mfa.attempt_ended".to_string()));
    }

    async fn too_many_wrong_codes_in_an_hour_lock_mfa(db) {
        let config = config_with(MfaSettings { attempt_limit: 5, hourly_limit: 8, ..MfaSettings::default() });
        let app = spawn_app_with(db, config).await;
        let seed = app.seed().await;
        set_policy(&app.store, &seed.acme, MfaPolicy::Enabled).await;
        let (_, mut authenticator) = register(&app, "acme.agent").await;
        for round in [5, 3] {
            let browser = app.browser();
            browser.login("acme.agent", PASSWORD).await;
            let mut last = String::new();
            for _ in 0..round {
                last = location(&browser.post("/mfa/verify", &[("code", &authenticator.wrong_code())]).await);
            }
            let expected = if round == 5 { "/login?reason=mfa-attempts" } else { "/login?reason=mfa-locked" };
            assert_eq!(last, expected);
        }
        // Locked: even the right code is refused now.
        let browser = app.browser();
        browser.login("acme.agent", PASSWORD).await;
        let response = browser.post("/mfa/verify", &[("code", &authenticator.code())]).await;
        assert_eq!(location(&response), "/login?reason=mfa-locked");
        let locked = app.store.audit_entries(&AuditQuery { action: Some("mfa.locked".into()), limit: 5, ..AuditQuery::default() }).await.unwrap();
        assert_eq!(locked.len(), 1);
        assert_eq!(locked[0].details, "8 wrong codes within an hour; locked for 900 s");
    }

    /// Security review, item 3: 72 parallel wrong codes over 12 half-signed-in
    /// sessions on two nodes check exactly the hourly limit (20); 6 parallel
    /// wrong codes in one sign-in check exactly its limit (5).
    async fn parallel_wrong_codes_check_exactly_the_limits(db) {
        let config = config_with(MfaSettings::default());
        let app = spawn_app_with(db, config).await;
        let seed = app.seed().await;
        set_policy(&app.store, &seed.acme, MfaPolicy::Enabled).await;
        let (_, authenticator) = register(&app, "acme.agent").await;
        let second = app.second_node().await;
        let refused = |store: Store| async move {
            store.audit_entries(&AuditQuery { action: Some("mfa.code_refused".into()), limit: 500, ..AuditQuery::default() }).await.unwrap().len()
        };
        // One sign-in, 6 parallel wrong codes: 5 checked.
        let browser = app.browser();
        browser.login("acme.agent", PASSWORD).await;
        let wrong = authenticator.wrong_code();
        let tasks: Vec<_> = (0..6)
            .map(|i| {
                let mut node = Browser::new(if i % 2 == 0 { &app.address } else { &second });
                node.client = browser.client.clone();
                let code = wrong.clone();
                tokio::spawn(async move { node.post("/mfa/verify", &[("code", &code)]).await.status().as_u16() })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(refused(app.store.clone()).await, 5, "one sign-in checks exactly 5 codes");
        // 12 sign-ins, 6 wrong codes each, all at once: 20 checked in total this hour.
        let mut sessions = Vec::new();
        for i in 0..12 {
            let base = if i % 2 == 0 { &app.address } else { &second };
            let browser = Browser::new(base);
            assert_eq!(location(&browser.login("acme.agent", PASSWORD).await), "/mfa");
            sessions.push(browser);
        }
        let mut tasks = Vec::new();
        for browser in &sessions {
            for _ in 0..6 {
                let node = Browser { client: browser.client.clone(), base: browser.base.clone() };
                let code = wrong.clone();
                tasks.push(tokio::spawn(async move { node.post("/mfa/verify", &[("code", &code)]).await.status().as_u16() }));
            }
        }
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(refused(app.store.clone()).await, 20, "the hourly limit is exact");
        let locked = app.store.audit_entries(&AuditQuery { action: Some("mfa.locked".into()), limit: 5, ..AuditQuery::default() }).await.unwrap();
        assert_eq!(locked.len(), 1);
    }

    /// The lock ends after CALLREC_MFA_LOCK_MINUTES or with the hourly
    /// window, whichever is later, on a clock the test moves.
    async fn the_mfa_lock_and_the_hourly_window_end_on_time(db) {
        let config = config_with(MfaSettings { attempt_limit: 3, hourly_limit: 4, lock_seconds: 600, ..MfaSettings::default() });
        let clock = Clock::manual(callrec_app::system_now());
        let app = spawn_app_on(db, config, clock.clone()).await;
        let seed = app.seed().await;
        set_policy(&app.store, &seed.acme, MfaPolicy::Enabled).await;
        let (_, mut authenticator) = register(&app, "acme.agent").await;
        let attempt = |codes: Vec<String>| {
            let browser = app.browser();
            async move {
                browser.login("acme.agent", PASSWORD).await;
                let mut last = String::new();
                for code in codes {
                    last = location(&browser.post("/mfa/verify", &[("code", &code)]).await);
                }
                last
            }
        };
        // 3 wrong: this sign-in ends; 1 more in a new sign-in: locked (4 in the hour).
        assert_eq!(attempt(vec![authenticator.wrong_code(); 3]).await, "/login?reason=mfa-attempts");
        assert_eq!(attempt(vec![authenticator.wrong_code()]).await, "/login?reason=mfa-locked");
        clock.advance(599);
        assert_eq!(attempt(vec![authenticator.code()]).await, "/login?reason=mfa-locked", "still locked");
        // The lock lasts 600 s, but never ends the hour's count early: 4
        // codes an hour means no more until the hour is over.
        clock.advance(2);
        assert_eq!(attempt(vec![authenticator.code()]).await, "/login?reason=mfa-locked", "the hour is not over");
        clock.advance(3600 - 601);
        assert_eq!(attempt(vec![authenticator.code()]).await, "/home", "the lock is over");
        // Wrong codes are counted per hour: two now, then after the hour
        // three more end the sign-in instead of locking (2 + 3 would be 5).
        assert_eq!(attempt(vec![authenticator.wrong_code(); 2]).await, "", "asked again");
        clock.advance(3601);
        assert_eq!(attempt(vec![authenticator.wrong_code(); 3]).await, "/login?reason=mfa-attempts");
    }

    /// Security review, item 5: a second session (password only) neither
    /// sees the key of a registration another session started nor lets that
    /// one be confirmed once it started its own.
    async fn a_pending_registration_belongs_to_its_session(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        set_policy(&app.store, &seed.acme, MfaPolicy::Enabled).await;
        let victim = app.browser();
        assert_eq!(location(&victim.login("acme.agent", PASSWORD).await), "/mfa");
        assert_eq!(location(&victim.post("/mfa/register", &[]).await), "/mfa?step=scan");
        let (_, page) = victim.get_text("/mfa?step=scan").await;
        let victim_key = key_from_page(&page);
        let attacker = app.browser();
        assert_eq!(location(&attacker.login("acme.agent", PASSWORD).await), "/mfa");
        let (status, page) = attacker.get_text("/mfa?step=scan").await;
        assert_eq!(status, 200);
        assert!(!page.contains(r#"<code aria-label="Key">"#), "no key for another session: back to the start");
        // The attacker starts its own: the victim's pending key stops working.
        attacker.post("/mfa/register", &[]).await;
        let (_, page) = attacker.get_text("/mfa?step=scan").await;
        assert_ne!(key_from_page(&page), victim_key, "a new secret");
        let victim_code = code_for_step(&victim_key, step_at(app.clock.now()));
        let response = victim.post("/mfa/register/confirm", &[("code", &victim_code)]).await;
        assert_eq!(location(&response), "/mfa", "the victim must start again");
        assert!(!app.store.user(seed.acme_agent.id).await.unwrap().unwrap().mfa_registered);
    }

    async fn secrets_are_never_stored_in_clear(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        set_policy(&app.store, &seed.acme, MfaPolicy::Enabled).await;
        let (_, authenticator) = register(&app, "acme.agent").await;
        let secret = &authenticator.secret;
        let hex: String = secret.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
        // Every form the key is ever shown or held in.
        let mut forms: Vec<(&str, Vec<u8>)> = vec![
            ("base32", secret.base32().into_bytes()),
            ("base32, lower case", secret.base32().to_lowercase().into_bytes()),
            ("grouped in fours", secret.grouped().into_bytes()),
            ("hex", hex.clone().into_bytes()),
            ("raw", secret.as_bytes().to_vec()),
        ];
        for (_, ciphertext) in app.store.mfa_ciphertexts().await.unwrap() {
            assert!(ciphertext.starts_with("v1."), "{ciphertext}");
        }
        // A session cookie and an API token, each used: stored as hashes only
        // (wave 2: the scan covered MFA secrets alone).
        let response = app.browser().login("globex.admin", PASSWORD).await;
        let cookie = response.headers().get_all("set-cookie").iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| v.strip_prefix("callrec_session="))
            .map(|v| v.split(';').next().unwrap().to_string())
            .expect("a session cookie");
        let client = reqwest::Client::new();
        let page = client.get(format!("{}/home", app.address)).header("Cookie", format!("callrec_session={cookie}")).send().await.unwrap();
        assert_eq!(page.status(), 200, "the session works");
        let token = crate::recordings::token_with(&app, &seed.globex, "scanned", "directory:read").await;
        let teams = client.get(format!("{}/api/v1/teams", app.address)).bearer_auth(&token).send().await.unwrap();
        assert_eq!(teams.status(), 200, "the token works");
        forms.extend([("session cookie", cookie.into_bytes()), ("API token", token.into_bytes())]);
        // The database itself, byte for byte: the SQLite file and WAL, or a
        // full pg_dump of the schema.
        let bytes = app.database_bytes();
        assert!(bytes.len() > 20_000, "scanned only {} bytes", bytes.len());
        let registered = app.store.mfa_ciphertexts().await.unwrap()[0].1.clone();
        assert!(bytes.windows(registered.len()).any(|w| w == registered.as_bytes()), "the scan sees the stored ciphertext");
        for (form, needle) in &forms {
            assert!(!bytes.windows(needle.len()).any(|w| w == needle.as_slice()), "the secret, {form}, is in the database");
        }
    }
}

mod company;
mod own;
