//! Sign-in, sessions, throttling and sign-out.

use crate::harness::*;
use callrec_store::{backend_tests, AuditQuery, ThrottleWindow};

fn session_cookie(response: &reqwest::Response) -> String {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|v| v.starts_with("callrec_session="))
        .unwrap_or_default()
}

backend_tests! {
    async fn login_page_has_the_labelled_form(db) {
        let app = spawn_app(db).await;
        let (status, page) = app.browser().get_text("/login").await;
        assert_eq!(status, 200);
        assert!(page.contains(r#"<label for="username">Username</label>"#));
        assert!(page.contains(r#"<label for="password">Password</label>"#));
        assert!(page.contains(r#"name="username""#) && page.contains(r#"name="password""#));
        assert!(page.contains(">Log in</button>"));
    }

    async fn good_password_signs_in_with_a_safe_cookie(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let browser = app.browser();
        let response = browser.login("ACME.ADMIN", PASSWORD).await;
        assert_eq!(response.status(), 303);
        assert_eq!(location(&response), "/home", "lands on the dashboard, the first menu entry");
        let cookie = session_cookie(&response);
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Lax"), "{cookie}");
        assert!(!cookie.contains("Secure"), "plain http has no Secure cookies: {cookie}");
        let id = cookie.split(';').next().unwrap().trim_start_matches("callrec_session=");
        assert_eq!(id.len(), 43, "256 random bits, base64url");
        let (status, page) = browser.get_text("/users").await;
        assert_eq!(status, 200);
        assert!(page.contains("acme.admin display") && page.contains("Acme"), "name and company in the top bar");
        assert_eq!(app.store.count_user_sessions(seed.acme_admin.id).await.unwrap(), 1);
    }

    async fn session_id_changes_at_sign_in(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let browser = app.browser();
        let first = session_cookie(&browser.login("acme.admin", PASSWORD).await);
        let second = session_cookie(&browser.login("acme.admin", PASSWORD).await);
        assert_ne!(first, second);
        assert_eq!(app.store.count_user_sessions(seed.acme_admin.id).await.unwrap(), 1, "the old session ended");
    }

    async fn every_failure_says_the_same(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        app.store.set_up(0, async |write| write.update_user(seed.acme_support.id, &callrec_store::UserUpdate {
                details: callrec_store::UserDetailsChange {
                    display_name: callrec_domain::DisplayName::parse("x").unwrap(),
                    email: None,
                    extension: None,
                    level: seed.acme_support.level,
                    team_id: seed.acme_support.team_id,
                    enabled: false,
                },
                roles: seed.acme_support.roles.clone(),
                password: None,
            }).await).await
            .unwrap();
        for (username, password) in [("acme.admin", "wrong password here"), ("nobody.here", PASSWORD), ("acme.support", PASSWORD)] {
            let response = app.browser().login(username, password).await;
            assert_eq!(response.status(), 401, "{username}");
            assert!(session_cookie(&response).is_empty());
            let page = response.text().await.unwrap();
            assert!(page.contains("Invalid username or password"), "{username}: {page}");
        }
        let failures = app.store.audit_entries(&AuditQuery { action: Some("sign_in.failed".into()), limit: 10, ..AuditQuery::default() }).await.unwrap();
        let reasons: Vec<_> = failures.iter().map(|e| e.details.as_str()).collect();
        assert_eq!(reasons, ["account disabled", "unknown username", "wrong password"]);
        assert!(failures.iter().all(|e| e.client_addr.as_deref() == Some("127.0.0.1")));
    }

    async fn empty_and_oversized_input_is_refused(db) {
        let app = spawn_app(db).await;
        let browser = app.browser();
        let (status, page) = browser.post_text("/login", &[("username", ""), ("password", "")]).await;
        assert_eq!(status, 422);
        assert!(page.contains("Enter your username and password."));
        let long = "x".repeat(5000);
        assert_eq!(browser.login(&long, &long).await.status(), 401);
        let json = browser.client.post(format!("{}/login", app.address)).header("Origin", &app.address)
            .header("Content-Type", "application/json").body("{}").send().await.unwrap();
        assert_eq!(json.status(), 400);
        let huge = "a=".to_string() + &"b".repeat(200_000);
        let too_big = browser.client.post(format!("{}/login", app.address)).header("Origin", &app.address)
            .header("Content-Type", "application/x-www-form-urlencoded").body(huge).send().await.unwrap();
        assert_eq!(too_big.status(), 400);
    }

    async fn failures_are_throttled_per_account(db) {
        let mut config = test_config();
        config.sign_in_per_account = ThrottleWindow { seconds: 900, limit: 3 };
        let app = spawn_app_with(db, config).await;
        app.seed().await;
        for _ in 0..3 {
            assert_eq!(app.browser().login("acme.admin", "not the password").await.status(), 401);
        }
        // Now even the right password is refused, for any case of the name.
        let response = app.browser().login("Acme.Admin", PASSWORD).await;
        assert_eq!(response.status(), 429);
        assert!(response.text().await.unwrap().contains("Too many failed sign-in attempts. Try again in 15 minutes."));
        // Other accounts are not affected.
        assert_eq!(app.browser().login("acme.agent", PASSWORD).await.status(), 303);
        // Item 10 of the security review: refused attempts write nothing;
        // the failure that filled the window is the one entry.
        for _ in 0..5 {
            assert_eq!(app.browser().login("acme.admin", "still guessing").await.status(), 429);
        }
        let throttled = app.store.audit_entries(&AuditQuery { action: Some("sign_in.throttled".into()), limit: 10, ..AuditQuery::default() }).await.unwrap();
        assert_eq!(throttled.len(), 1, "one entry per account and window");
        assert_eq!(throttled[0].details, "3 failures per account within 900 s");
    }

    /// Security review, item 2: 30 parallel sign-ins to one account over two
    /// nodes, 29 wrong and 1 right, with a limit of 10: at most 10 passwords
    /// are checked. Then the window passes on a clock the test moves.
    async fn parallel_sign_ins_check_at_most_the_limit(db) {
        let mut config = test_config();
        config.sign_in_per_account = ThrottleWindow { seconds: 900, limit: 10 };
        let clock = callrec_app::Clock::manual(1_900_000_000);
        let app = spawn_app_on(db, config, clock.clone()).await;
        app.seed().await;
        let second = app.second_node().await;
        let tasks: Vec<_> = (0..30)
            .map(|i| {
                let base = if i % 2 == 0 { app.address.clone() } else { second.clone() };
                let password = if i == 29 { PASSWORD.to_string() } else { format!("wrong guess {i}") };
                tokio::spawn(async move { Browser::new(&base).login("acme.admin", &password).await.status().as_u16() })
            })
            .collect();
        let mut statuses = Vec::new();
        for task in tasks {
            statuses.push(task.await.unwrap());
        }
        // A success gives its place back, so one more attempt may be checked
        // after it; wrong passwords checked never pass the limit.
        let wrong_checked = statuses.iter().filter(|s| **s == 401).count();
        let checked = statuses.iter().filter(|s| **s != 429).count();
        assert!(wrong_checked <= 10, "{wrong_checked} wrong passwords checked: {statuses:?}");
        assert!(checked <= 11, "{checked} passwords checked: {statuses:?}");
        assert!(statuses.iter().all(|s| [303, 401, 429].contains(s)), "{statuses:?}");
        let failed = app.store.audit_entries(&AuditQuery { action: Some("sign_in.failed".into()), limit: 100, ..AuditQuery::default() }).await.unwrap();
        let succeeded = app.store.audit_entries(&AuditQuery { action: Some("sign_in.succeeded".into()), limit: 100, ..AuditQuery::default() }).await.unwrap();
        assert_eq!(failed.len() + succeeded.len(), checked, "every checked attempt is audited");
        // The pause ends with the window, not before.
        if statuses.iter().filter(|s| **s == 401).count() == 10 {
            clock.advance(899);
            assert_eq!(app.browser().login("acme.admin", PASSWORD).await.status(), 429);
        }
        clock.advance(901);
        assert_eq!(app.browser().login("acme.admin", PASSWORD).await.status(), 303);
    }

    /// Idle and absolute session timeouts, on a clock the test moves.
    async fn sessions_end_when_idle_and_after_their_absolute_lifetime(db) {
        let clock = callrec_app::Clock::manual(1_900_000_000);
        let app = spawn_app_on(db, test_config(), clock.clone()).await;
        app.seed().await;
        let idle = app.as_user("acme.admin").await;
        clock.advance(29 * 60);
        assert_eq!(idle.get("/users").await.status(), 200, "29 minutes idle: still signed in");
        clock.advance(29 * 60);
        assert_eq!(idle.get("/users").await.status(), 200, "the last request counts, not the sign-in");
        clock.advance(31 * 60);
        assert_eq!(location(&idle.get("/users").await), "/login", "31 minutes idle: signed out");
        // Active all along, the session still ends 12 hours after sign-in.
        let busy = app.as_user("acme.admin").await;
        for _ in 0..(12 * 60 / 20 - 1) {
            clock.advance(20 * 60);
            assert_eq!(busy.get("/users").await.status(), 200);
        }
        clock.advance(20 * 60 + 1);
        assert_eq!(location(&busy.get("/users").await), "/login", "past the absolute lifetime");
    }

    /// Security review, item 8: a hash made with other Argon2 settings is
    /// replaced at the next successful sign-in.
    async fn old_password_hashes_are_replaced_at_sign_in(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let old = callrec_app::Passwords::new(&callrec_app::Argon2Settings { memory_kib: 512, iterations: 2, parallelism: 1 }).unwrap();
        let old_hash = old.hash(PASSWORD).await.unwrap();
        app.store.set_up(0, async |write| write.set_password(seed.acme_agent.id, &callrec_store::StoredPassword::permanent(old_hash.clone())).await).await.unwrap();
        assert_eq!(app.browser().login("acme.agent", PASSWORD).await.status(), 303);
        let (_, stored) = app.store.credentials("acme.agent").await.unwrap().unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=256,t=1,p=1$"), "{stored}");
        assert_ne!(stored, old_hash);
        // A wrong password changes nothing.
        app.store.set_up(0, async |write| write.set_password(seed.acme_agent.id, &callrec_store::StoredPassword::permanent(old_hash.clone())).await).await.unwrap();
        assert_eq!(app.browser().login("acme.agent", "not the password").await.status(), 401);
        assert_eq!(app.store.credentials("acme.agent").await.unwrap().unwrap().1, old_hash);
    }

    async fn the_limit_holds_across_nodes(db) {
        let mut config = test_config();
        config.sign_in_per_account = ThrottleWindow { seconds: 900, limit: 4 };
        let app = spawn_app_with(db, config.clone()).await;
        app.seed().await;
        let second_node = app.second_node().await;
        for base in [&app.address, &second_node, &app.address, &second_node] {
            assert_eq!(Browser::new(base).login("acme.admin", "nope nope nope").await.status(), 401);
        }
        assert_eq!(Browser::new(&second_node).login("acme.admin", PASSWORD).await.status(), 429);
        assert_eq!(Browser::new(&app.address).login("acme.admin", PASSWORD).await.status(), 429);
    }

    async fn failures_are_throttled_per_client(db) {
        let mut config = test_config();
        config.sign_in_per_client = ThrottleWindow { seconds: 900, limit: 5 };
        let app = spawn_app_with(db, config).await;
        app.seed().await;
        for i in 0..5 {
            let name = format!("guess{i}");
            assert_eq!(app.browser().login(&name, "whatever it is").await.status(), 401);
        }
        assert_eq!(app.browser().login("acme.admin", PASSWORD).await.status(), 429, "this address is paused");
    }

    /// A successful sign-in gives back only its own place: wiping the count
    /// would let guesses racing beside it through. Failures expire with
    /// their window (moved on the test's clock).
    async fn success_gives_back_its_place_and_failures_expire(db) {
        let mut config = test_config();
        config.sign_in_per_account = ThrottleWindow { seconds: 900, limit: 3 };
        let clock = callrec_app::Clock::manual(1_900_000_000);
        let app = spawn_app_on(db, config, clock.clone()).await;
        app.seed().await;
        for _ in 0..2 {
            assert_eq!(app.browser().login("acme.admin", "wrong wrong wrong").await.status(), 401);
        }
        for _ in 0..3 {
            assert_eq!(app.browser().login("acme.admin", PASSWORD).await.status(), 303, "successes do not add up");
        }
        assert_eq!(app.browser().login("acme.admin", "wrong wrong wrong").await.status(), 401);
        assert_eq!(app.browser().login("acme.admin", PASSWORD).await.status(), 429);
        clock.advance(900);
        assert_eq!(app.browser().login("acme.admin", PASSWORD).await.status(), 303, "the window is over");
    }

    async fn log_out_ends_the_session_on_the_server(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let browser = app.as_user("acme.admin").await;
        let cookie_header = {
            // Keep a copy of the cookie, as an attacker who stole it would.
            let response = Browser::new(&app.address).login("acme.admin", PASSWORD).await;
            session_cookie(&response).split(';').next().unwrap().to_string()
        };
        let response = browser.post("/logout", &[]).await;
        assert_eq!(response.status(), 303);
        assert_eq!(location(&response), "/login");
        assert!(session_cookie(&response).contains("Max-Age=0"));
        assert_eq!(location(&browser.get("/users").await), "/login");
        assert_eq!(app.store.count_user_sessions(seed.acme_admin.id).await.unwrap(), 1, "only the other session is left");
        let stolen = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let response = stolen.get(format!("{}/users", app.address)).header("Cookie", &cookie_header).send().await.unwrap();
        assert_eq!(response.status(), 200, "the other session still works");
        let logged = app.store.audit_entries(&AuditQuery { action: Some("signed_out".into()), limit: 10, ..AuditQuery::default() }).await.unwrap();
        assert_eq!(logged.len(), 1);
    }

    async fn disabling_a_user_ends_their_open_session(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let agent = app.as_user("acme.agent").await;
        assert_eq!(agent.get("/recordings").await.status(), 200);
        let admin = app.as_user("acme.admin").await;
        let id = seed.acme_agent.id.to_string();
        let response = admin.post(&format!("/users/{id}"), &[
            ("display_name", "Agent"), ("level", "staff"), ("team", &seed.sales.id.to_string()),
            ("roles", "recordings"), ("roles", "manage_own_mfa"),
        ]).await;
        assert_eq!(response.status(), 303);
        assert_eq!(location(&agent.get("/recordings").await), "/login");
        assert_eq!(agent.login("acme.agent", PASSWORD).await.status(), 401);
    }

    async fn pages_need_a_session(db) {
        let app = spawn_app(db).await;
        for path in ["/users", "/teams", "/reports", "/recordings", "/home", "/"] {
            let response = app.browser().get(path).await;
            assert_eq!(response.status(), 303, "{path}");
            assert_eq!(location(&response), "/login", "{path}");
        }
        let forged = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let response = forged.get(format!("{}/users", app.address))
            .header("Cookie", format!("callrec_session={}", "A".repeat(43))).send().await.unwrap();
        assert_eq!(location(&response), "/login");
    }

    async fn health_endpoints(db) {
        let app = spawn_app(db).await;
        assert_eq!(app.browser().get_text("/healthz").await, (200, "ok".to_string()));
        assert_eq!(app.browser().get_text("/readyz").await, (200, "ready".to_string()));
        app.store.close().await;
        assert_eq!(app.browser().get("/readyz").await.status(), 503);
    }
}
