//! My MFA: turning MFA on and off for oneself, and resetting one's own registration.

use super::*;

backend_tests! {
    async fn my_mfa_opt_in_leads_straight_into_registration(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let agent = app.as_user("acme.agent").await;
        let (_, page) = agent.get_text("/recordings").await;
        assert!(page.contains(">My MFA</button>"));
        assert!(page.contains(r#"<label for="my-mfa-enable">Enable MFA</label>"#) && page.contains("MFA is off for your company"));
        set_policy(&app.store, &seed.acme, MfaPolicy::Available).await;
        let (_, page) = agent.get_text("/recordings").await;
        assert!(!page.contains("MFA is off for your company") && !page.contains("Required by your company"));
        // A signed-in session is shown a new secret only after the password
        // (security review, wave 2, item 4), once its sign-in is minutes old.
        let agent = app.as_unconfirmed_user("acme.agent").await;
        let form = [("enable_mfa", "on"), ("reset", "0"), ("return_to", "/recordings")];
        let (status, page) = agent.post_text("/my-mfa", &form).await;
        assert_eq!(status, 200);
        assert!(page.contains("Confirm it's you") && page.contains(r#"<label for="confirm-proof">Password</label>"#), "{page}");
        assert!(!app.store.user(seed.acme_agent.id).await.unwrap().unwrap().mfa_opt_in, "nothing yet");
        let (status, _) = agent.post_text("/my-mfa", &[form[0], form[1], form[2], ("confirming", "1"), ("proof", "wrong password")]).await;
        assert_eq!(status, 422);
        let response = agent.post("/my-mfa", &[form[0], form[1], form[2], ("confirming", "1"), ("proof", PASSWORD)]).await;
        assert_eq!(location(&response), "/mfa");
        assert!(app.store.user(seed.acme_agent.id).await.unwrap().unwrap().mfa_opt_in);
        assert!(agent.get_text("/mfa").await.1.contains("Set up multi-factor authentication"));
        // Opting out again (after signing in fresh, as MFA is now pending).
        agent.post("/logout", &[]).await;
        app.store.set_up(0, async |write| write.set_mfa_opt_in(seed.acme_agent.id, false).await).await.unwrap();
        let agent = app.as_user("acme.agent").await;
        let response = agent.post("/my-mfa", &[("reset", "0"), ("return_to", "/recordings")]).await;
        assert_eq!(location(&response), "/recordings?done=my-mfa-saved");
        let actions = audit_actions(&app.store).await;
        assert!(actions.contains(&"mfa.opted_in".to_string()));
    }

    /// Turning MFA off under MFA Available needs a current code too; the
    /// pop-up keeps the choice and a confirmed code applies it.
    async fn turning_my_mfa_off_needs_a_code(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        set_policy(&app.store, &seed.acme, MfaPolicy::Available).await;
        app.store.set_up(0, async |write| write.set_mfa_opt_in(seed.acme_agent.id, true).await).await.unwrap();
        let (browser, mut authenticator) = register(&app, "acme.agent").await;
        let (status, page) = browser.post_text("/my-mfa", &[("reset", "0"), ("return_to", "/users\t")]).await;
        assert_eq!(status, 200);
        assert!(page.contains("You are turning MFA off for your account."));
        assert!(page.contains(r#"name="return_to" value="/home""#), "an unknown return path becomes /home");
        assert!(app.store.user(seed.acme_agent.id).await.unwrap().unwrap().mfa_opt_in);
        let code = authenticator.code();
        let response = browser.post("/my-mfa", &[("reset", "0"), ("return_to", "/recordings"), ("confirming", "1"), ("proof", code.as_str())]).await;
        assert_eq!(location(&response), "/recordings?done=my-mfa-saved");
        assert!(!app.store.user(seed.acme_agent.id).await.unwrap().unwrap().mfa_opt_in);
        // Replaying the same code does not confirm again.
        app.store.set_up(0, async |write| write.set_mfa_opt_in(seed.acme_agent.id, true).await).await.unwrap();
        let response = browser.post("/my-mfa", &[("reset", "0"), ("return_to", "/recordings"), ("confirming", "1"), ("proof", code.as_str())]).await;
        assert_eq!(response.status(), 422);
        assert!(app.store.user(seed.acme_agent.id).await.unwrap().unwrap().mfa_opt_in);
    }

    async fn my_mfa_under_enabled_is_locked_on(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        set_policy(&app.store, &seed.acme, MfaPolicy::Enabled).await;
        let (browser, _) = register(&app, "acme.agent").await;
        let (_, page) = browser.get_text("/recordings").await;
        assert!(page.contains(r#"id="my-mfa-enable" name="enable_mfa" checked disabled"#), "{}", &page[page.find("my-mfa-enable").unwrap()..][..200]);
        assert!(page.contains("Required by your company"));
        // Unticking is impossible, also by forging the form.
        let response = browser.post("/my-mfa", &[("reset", "0"), ("return_to", "/recordings")]).await;
        assert_eq!(location(&response), "/recordings?done=my-mfa-saved");
        assert!(!app.store.user(seed.acme_agent.id).await.unwrap().unwrap().mfa_opt_in);
        assert_eq!(browser.get("/recordings").await.status(), 200, "still required, still passed");
    }

    async fn my_mfa_reset_means_registering_again(db) {
        let clock = Clock::manual(callrec_app::system_now());
        let app = spawn_app_on(db, test_config(), clock.clone()).await;
        let seed = app.seed().await;
        set_policy(&app.store, &seed.acme, MfaPolicy::Enabled).await;
        let (browser, mut authenticator) = register(&app, "acme.agent").await;
        let other = sign_in_with_code(&app, "acme.agent", &mut authenticator).await;
        // Save asks "Confirm it's you" first; a wrong code changes nothing
        // and counts as a wrong code (security review, item 6).
        let (status, page) = browser.post_text("/my-mfa", &[("reset", "1"), ("return_to", "/recordings")]).await;
        assert_eq!(status, 200);
        assert!(page.contains(">Confirm it's you</h2>") && page.contains(r#"<label for="confirm-proof">Code</label>"#) && page.contains(">Confirm</button>"), "{page}");
        let wrong = [("reset", "1"), ("return_to", "/recordings"), ("confirming", "1"), ("proof", &authenticator.wrong_code())];
        let (status, page) = browser.post_text("/my-mfa", &wrong).await;
        assert_eq!(status, 422);
        assert!(page.contains("Invalid code"));
        assert!(app.store.user(seed.acme_agent.id).await.unwrap().unwrap().mfa_registered, "nothing changed");
        assert!(audit_actions(&app.store).await.contains(&"mfa.code_refused".to_string()));
        let forged = [("reset", "1"), ("return_to", "/recordings"), ("confirming", "1"), ("proof", "")];
        assert_eq!(browser.post("/my-mfa", &forged).await.status(), 422, "no proof, no change");
        clock.advance(30);
        let code = authenticator.code();
        let right = [("reset", "1"), ("return_to", "/recordings"), ("confirming", "1"), ("proof", code.as_str())];
        let response = browser.post("/my-mfa", &right).await;
        assert_eq!(location(&response), "/mfa", "registers again straight away");
        assert!(browser.get_text("/mfa").await.1.contains("Set up multi-factor authentication"));
        assert_eq!(location(&other.get("/recordings").await), "/login", "other sessions ended");
        assert!(!app.store.user(seed.acme_agent.id).await.unwrap().unwrap().mfa_registered);
        assert!(audit_actions(&app.store).await.contains(&"mfa.own_reset".to_string()));
    }
}
