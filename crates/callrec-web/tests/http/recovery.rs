//! Recovery codes over HTTP (issue 12): shown once at registration, one
//! sign-in each, limited like codes, raced, replaced from My MFA, counted
//! on Users and Company MFA, gone with a reset — on SQLite and PostgreSQL.

use crate::harness::*;
use crate::mfa::{
    audit_actions, config_with, recovery_codes_from, register, register_with_codes, set_policy,
};
use callrec_domain::MfaPolicy;
use callrec_store::backend_tests;
use callrec_web::MfaSettings;

/// Password, then `code` under "Use a recovery code": the response.
async fn sign_in_with_recovery(
    app: &TestApp,
    username: &str,
    code: &str,
) -> (Browser, reqwest::Response) {
    let browser = app.browser();
    assert_eq!(location(&browser.login(username, PASSWORD).await), "/mfa");
    let response = browser.post("/mfa/recovery", &[("code", code)]).await;
    (browser, response)
}

backend_tests! {
    /// Ten distinct `xxxx-xxxx` codes, kept only as hashes; one signs in
    /// once (typed in any case, with or without the hyphen); the next page
    /// says how many are left; audited.
    async fn a_recovery_code_signs_in_once(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        set_policy(&app.store, &seed.acme, MfaPolicy::Enabled).await;
        let (_, _, codes) = register_with_codes(&app, "acme.agent").await;
        let mut distinct = codes.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), 10, "{codes:?}");
        for code in &codes {
            let (left, right) = code.split_once('-').expect("xxxx-xxxx");
            assert!(left.len() == 4 && right.len() == 4, "{code}");
            assert!(code.chars().all(|c| c == '-' || c.is_ascii_digit() || c.is_ascii_lowercase()), "{code}");
        }
        let dump = app.database_bytes();
        for code in &codes {
            for form in [code.clone(), code.replace('-', "")] {
                assert!(!dump.windows(form.len()).any(|w| w == form.as_bytes()), "{form} stored in clear");
            }
        }
        assert_eq!(app.store.user(seed.acme_agent.id).await.unwrap().unwrap().recovery_codes_left, 10);

        // The code pop-up offers the way in without the phone.
        let browser = app.browser();
        browser.login("acme.agent", PASSWORD).await;
        let (_, page) = browser.get_text("/mfa").await;
        assert!(page.contains(">Use a recovery code</button>"), "{page}");
        let (_, page) = browser.get_text("/mfa?use=recovery").await;
        assert!(page.contains(r#"<label for="mfa-code">Recovery code</label>"#), "{page}");
        assert!(page.contains(r#"action="/mfa/recovery""#));

        let typed = codes[0].replace('-', "").to_uppercase();
        let response = browser.post("/mfa/recovery", &[("code", &typed)]).await;
        assert_eq!(location(&response), "/home?done=recovery-code-used");
        let (status, page) = browser.get_text("/recordings?done=recovery-code-used").await;
        assert_eq!(status, 200);
        assert!(page.contains("You signed in with a recovery code; it no longer works. You have 9 recovery codes left."), "{page}");
        assert!(!page.contains("Make new ones now"), "no prompt with 9 left");
        assert!(audit_actions(&app.store).await.contains(&"mfa.recovery_code_used".to_string()));

        // Spent: a second use is a wrong code.
        let (_, response) = sign_in_with_recovery(&app, "acme.agent", &codes[0]).await;
        assert_eq!(response.status(), 422);
        assert!(response.text().await.unwrap().contains("Invalid code"));
        // Another user's code, or a code from nowhere, is wrong too.
        let (_, response) = sign_in_with_recovery(&app, "acme.agent", "0000-0000").await;
        assert_eq!(response.status(), 422);
        let (_, response) = sign_in_with_recovery(&app, "acme.agent", "not a code").await;
        assert_eq!(response.status(), 422);
        let (_, response) = sign_in_with_recovery(&app, "acme.agent", "").await;
        assert_eq!(response.status(), 422);
        assert!(response.text().await.unwrap().contains("Enter one of your recovery codes."));
        assert_eq!(app.store.user(seed.acme_agent.id).await.unwrap().unwrap().recovery_codes_left, 9);
    }

    /// Eight sessions send the same code at once: exactly one signs in.
    async fn parallel_uses_of_one_recovery_code_let_one_through(db) {
        let config = config_with(MfaSettings { attempt_limit: 1000, hourly_limit: 1000, ..MfaSettings::default() });
        let app = spawn_app_with(db, config).await;
        let seed = app.seed().await;
        set_policy(&app.store, &seed.acme, MfaPolicy::Enabled).await;
        let (_, _, codes) = register_with_codes(&app, "acme.agent").await;
        let other_node = app.second_node().await;
        let mut browsers = Vec::new();
        for i in 0..8 {
            let browser = if i % 2 == 0 { app.browser() } else { Browser::new(&other_node) };
            assert_eq!(location(&browser.login("acme.agent", PASSWORD).await), "/mfa");
            browsers.push(browser);
        }
        let tasks: Vec<_> = browsers
            .into_iter()
            .map(|browser| {
                let code = codes[3].clone();
                tokio::spawn(async move { browser.post("/mfa/recovery", &[("code", &code)]).await.status().as_u16() })
            })
            .collect();
        let mut statuses = Vec::new();
        for task in tasks {
            statuses.push(task.await.unwrap());
        }
        assert_eq!(statuses.iter().filter(|s| **s == 303).count(), 1, "{statuses:?}");
        assert_eq!(statuses.iter().filter(|s| **s == 422).count(), 7, "{statuses:?}");
        assert_eq!(app.store.user(seed.acme_agent.id).await.unwrap().unwrap().recovery_codes_left, 9);
    }

    /// Wrong recovery codes count with wrong authenticator codes: three of
    /// one and two of the other end the attempt (limit 5).
    async fn wrong_recovery_codes_count_against_the_same_limit(db) {
        let app = spawn_app_with(db, config_with(MfaSettings::default())).await;
        let seed = app.seed().await;
        set_policy(&app.store, &seed.acme, MfaPolicy::Enabled).await;
        let (_, authenticator, codes) = register_with_codes(&app, "acme.agent").await;
        let browser = app.browser();
        browser.login("acme.agent", PASSWORD).await;
        for _ in 0..3 {
            let (status, _) = browser.post_text("/mfa/verify", &[("code", &authenticator.wrong_code())]).await;
            assert_eq!(status, 422);
        }
        assert_eq!(browser.post("/mfa/recovery", &[("code", "zzzz-zzzz")]).await.status(), 422);
        let ended = browser.post("/mfa/recovery", &[("code", "yyyy-yyyy")]).await;
        assert_eq!(location(&ended), "/login?reason=mfa-attempts");
        // The attempt is over: even a right code needs the password again.
        let response = browser.post("/mfa/recovery", &[("code", &codes[0])]).await;
        assert!(location(&response).starts_with("/login"), "{}", location(&response));
        assert_eq!(app.store.user(seed.acme_agent.id).await.unwrap().unwrap().recovery_codes_left, 10);
    }

    /// At three or fewer left, the page after sign-in asks for new ones.
    async fn few_codes_left_prompt_for_new_ones(db) {
        let config = config_with(MfaSettings { attempt_limit: 1000, hourly_limit: 1000, ..MfaSettings::default() });
        let app = spawn_app_with(db, config).await;
        let seed = app.seed().await;
        set_policy(&app.store, &seed.acme, MfaPolicy::Enabled).await;
        let (_, _, codes) = register_with_codes(&app, "acme.agent").await;
        for code in &codes[..7] {
            let (_, response) = sign_in_with_recovery(&app, "acme.agent", code).await;
            assert_eq!(response.status(), 303);
        }
        let (browser, _) = sign_in_with_recovery(&app, "acme.agent", &codes[7]).await;
        let (_, page) = browser.get_text("/recordings?done=recovery-code-used").await;
        assert!(page.contains("You have 2 recovery codes left. Make new ones now"), "{page}");
        assert!(page.contains(r#"action="/my-mfa/recovery-codes""#) && page.contains(">New recovery codes</button>"));
        let (_, page) = browser.get_text("/recordings").await;
        assert!(!page.contains("You signed in with a recovery code"), "only on the page after sign-in");
    }

    /// My MFA → New recovery codes: "Confirm it's you" with a current code
    /// (a wrong one changes nothing), then ten new codes; the old ones stop
    /// working. A recovery code proves presence too.
    async fn new_recovery_codes_replace_the_old_ones(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        set_policy(&app.store, &seed.acme, MfaPolicy::Enabled).await;
        let (browser, mut authenticator, old) = register_with_codes(&app, "acme.agent").await;
        let (_, page) = browser.get_text("/recordings").await;
        assert!(page.contains("10 recovery codes left") && page.contains(r#"form="my-mfa-recovery-form">New recovery codes</button>"#), "{page}");

        let form = [("return_to", "/recordings")];
        let (status, page) = browser.post_text("/my-mfa/recovery-codes", &form).await;
        assert_eq!(status, 200);
        assert!(page.contains("Confirm it's you") && page.contains("You are making new recovery codes"), "{page}");
        let (status, _) = browser.post_text("/my-mfa/recovery-codes", &[("return_to", "/recordings"), ("confirming", "1"), ("proof", &authenticator.wrong_code())]).await;
        assert_eq!(status, 422);
        let (status, page) = browser.post_text("/my-mfa/recovery-codes", &[("return_to", "/recordings"), ("confirming", "1"), ("proof", &authenticator.code())]).await;
        assert_eq!(status, 200);
        let new = recovery_codes_from(&page);
        assert_eq!(new.len(), 10);
        assert!(new.iter().all(|code| !old.contains(code)));
        assert!(page.contains(r#"download="recovery-codes.txt""#) && page.contains(">Copy</button>"));
        assert!(page.contains("I have saved these codes"));
        let response = browser.post("/mfa/recovery-codes/saved", &[("return_to", "/recordings")]).await;
        assert_eq!(location(&response), "/recordings?done=recovery-codes-unsaved", "not ticked: a reminder");

        let (_, response) = sign_in_with_recovery(&app, "acme.agent", &old[1]).await;
        assert_eq!(response.status(), 422, "the old set is gone");
        let (other, response) = sign_in_with_recovery(&app, "acme.agent", &new[0]).await;
        assert_eq!(response.status(), 303);
        // Presence proven with a recovery code: the lost-phone way.
        let (status, page) = other.post_text("/my-mfa/recovery-codes", &[("return_to", "/recordings"), ("confirming", "1"), ("proof", &new[1])]).await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(recovery_codes_from(&page).len(), 10);
        assert_eq!(location(&browser.get("/recordings").await), "/login", "new codes end the other sessions");
        let actions = audit_actions(&app.store).await;
        assert_eq!(actions.iter().filter(|a| *a == "mfa.recovery_codes_created").count(), 3, "{actions:?}");
    }

    /// A lost phone, step by step: sign in with a recovery code, reset MFA
    /// under My MFA proving it with another, register the new phone (with
    /// new codes); the old phone's codes and the old recovery codes are gone.
    async fn a_lost_phone_is_replaced_with_recovery_codes(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        set_policy(&app.store, &seed.acme, MfaPolicy::Enabled).await;
        let (_, mut old_phone, codes) = register_with_codes(&app, "acme.agent").await;
        let (browser, response) = sign_in_with_recovery(&app, "acme.agent", &codes[0]).await;
        assert_eq!(response.status(), 303);
        let response = browser.post("/my-mfa", &[("return_to", "/recordings"), ("reset", "1"), ("confirming", "1"), ("proof", &codes[1])]).await;
        assert_eq!(location(&response), "/mfa", "straight into registering the new phone");
        let user = app.store.user(seed.acme_agent.id).await.unwrap().unwrap();
        assert!(!user.mfa_registered);
        assert_eq!(user.recovery_codes_left, 0, "a reset takes the recovery codes with it");
        browser.post("/mfa/register", &[]).await;
        let (_, scan) = browser.get_text("/mfa?step=scan").await;
        assert!(scan.contains("Scan the QR code"));
        let (_, response) = sign_in_with_recovery(&app, "acme.agent", &codes[2]).await;
        assert_eq!(location(&response), "/mfa", "no codes left to use: registration first");
        let stranger = app.browser();
        stranger.login("acme.agent", PASSWORD).await;
        let response = stranger.post("/mfa/verify", &[("code", &old_phone.code())]).await;
        assert_eq!(location(&response), "/mfa", "the old phone's codes sign nobody in");
    }

    /// An administrator's reset clears the codes; Users and Company MFA
    /// show how many each user has left.
    async fn users_and_company_mfa_show_codes_left(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        set_policy(&app.store, &seed.acme, MfaPolicy::Enabled).await;
        let (_, _, codes) = register_with_codes(&app, "acme.agent").await;
        sign_in_with_recovery(&app, "acme.agent", &codes[0]).await;
        let (admin, _) = register(&app, "acme.admin").await;
        let (_, page) = admin.get_text("/users").await;
        assert!(page.contains("9 recovery codes left") && page.contains("10 recovery codes left"), "{page}");
        let (_, page) = admin.get_text("/company-mfa?show=all").await;
        assert!(page.contains(r#"<th scope="col">Recovery codes left</th>"#), "{page}");
        assert!(page.contains("<td>9</td>"), "{page}");
        let response = admin.post(&format!("/users/{}/reset-mfa", seed.acme_agent.id), &[]).await;
        assert_eq!(response.status(), 303);
        assert_eq!(app.store.user(seed.acme_agent.id).await.unwrap().unwrap().recovery_codes_left, 0);
        let (_, response) = sign_in_with_recovery(&app, "acme.agent", &codes[1]).await;
        assert_eq!(location(&response), "/mfa", "nothing registered: back to registration");
    }
}
