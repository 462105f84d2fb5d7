//! Security keys over HTTP (issue 12), on SQLite and PostgreSQL. The
//! ceremonies themselves run in the browser tests (Chromium's virtual
//! authenticator); here a registered key is a real credential's public
//! part from webauthn-rs's own tests (fixtures/security_key.json), placed
//! with the store, to test everything around it: a key meets the policy,
//! the sign-in pop-up offers it, answers need a fresh challenge and count
//! against the limits, Remove needs presence and is scoped to the owner,
//! and sign-in falls back to the code once it is gone.

use crate::harness::*;
use crate::mfa::{audit_actions, config_with, register, set_policy};
use callrec_app::Clock;
use callrec_domain::{MfaPolicy, UserId};
use callrec_store::{backend_tests, NewKey, Store};
use callrec_web::MfaSettings;

const CREDENTIAL: &str = include_str!("fixtures/security_key.json");
const T: i64 = 1_900_000_000;

/// Gives `user` the fixture key under `name`; its id.
async fn place_key(store: &Store, user: UserId, name: &str) -> i64 {
    let key = NewKey {
        user,
        name,
        credential_id: &format!("fixture-{}", user.0),
        credential: CREDENTIAL,
        counter: 0,
    };
    store
        .set_up(T, async |write| write.add_security_key(&key).await)
        .await
        .unwrap()
}

/// A portal whose public address is http://localhost: keys are on.
fn keys_config(mfa: MfaSettings) -> callrec_web::WebConfig {
    let mut config = config_with(mfa);
    config.public_url = Some("http://localhost".into());
    config
}

backend_tests! {
    /// A key alone meets MFA Enabled: no registration is asked for, and
    /// the pop-up offers the key (and recovery codes), not a code field.
    async fn a_key_alone_meets_the_policy(db) {
        let app = spawn_app_with(db, keys_config(MfaSettings::default())).await;
        let seed = app.seed().await;
        set_policy(&app.store, &seed.acme, MfaPolicy::Enabled).await;
        place_key(&app.store, seed.acme_agent.id, "Desk key").await;
        let user = app.store.user(seed.acme_agent.id).await.unwrap().unwrap();
        assert!(user.mfa_registered && !user.totp_registered && user.security_keys == 1);
        let browser = app.browser();
        assert_eq!(location(&browser.login("acme.agent", PASSWORD).await), "/mfa");
        let (_, page) = browser.get_text("/mfa").await;
        assert!(page.contains("Multi-factor authentication") && page.contains(">Use security key</button>"), "{page}");
        assert!(!page.contains(r#"<label for="mfa-code">Code</label>"#), "no authenticator: no code field");
        assert!(page.contains(">Use a recovery code</button>"));
        // Registered with a key counts on Company MFA's roll-out too.
        let (admin, _) = register(&app, "acme.admin").await;
        let (_, page) = admin.get_text("/company-mfa?show=all").await;
        assert!(page.contains(r#"<th scope="col">Security keys</th>"#), "{page}");
        assert!(!admin.get_text("/company-mfa").await.1.contains("acme.agent display"), "not among the unregistered");
    }

    /// "Confirm it's you" asks a user whose only factor is a key for a key
    /// (or a recovery code), never the password alone: a password and a
    /// session must not be enough to plant another factor. (Under MFA
    /// Available without opting in, the password alone signs them in.)
    async fn key_only_users_confirm_with_a_key(db) {
        let app = spawn_app_with(db, keys_config(MfaSettings::default())).await;
        let seed = app.seed().await;
        set_policy(&app.store, &seed.acme, MfaPolicy::Available).await;
        place_key(&app.store, seed.acme_agent.id, "Desk key").await;
        let browser = app.browser();
        assert_eq!(location(&browser.login("acme.agent", PASSWORD).await), "/home");
        let (status, page) = browser.post_text("/my-mfa/recovery-codes", &[("return_to", "/recordings")]).await;
        assert_eq!(status, 200);
        assert!(page.contains(">Use security key</button>") && page.contains("Or a recovery code"), "{page}");
        assert!(!page.contains(r#"<label for="confirm-proof">Password</label>"#), "no password field");
        for proof in [PASSWORD, r#"{"id":"forged"}"#, "abcd-efgh"] {
            let (status, _) = browser.post_text("/my-mfa/recovery-codes", &[("return_to", "/recordings"), ("confirming", "1"), ("proof", proof)]).await;
            assert_eq!(status, 422, "{proof}");
        }
        assert_eq!(app.store.recovery_codes_left(seed.acme_agent.id).await.unwrap(), 0, "nothing made");
        let (_, page) = browser.get_text("/my-mfa/security-keys").await;
        assert!(page.contains("data-proof-key") && !page.contains(r#"<label for="key-proof">"#), "{page}");
        let (status, body) = browser.post_text("/my-mfa/security-keys/options", &[("name", "Second"), ("proof", PASSWORD)]).await;
        assert_eq!(status, 422, "the password does not add a key: {body}");
        let (status, options) = browser.post_text("/my-mfa/confirm-key/options", &[]).await;
        assert_eq!(status, 200);
        assert!(options.contains("allowCredentials"), "{options}");
    }

    /// The options come from a challenge kept for this session; an answer
    /// without one, or after five minutes, or that is not an answer, is
    /// refused and counted like a wrong code.
    async fn key_answers_need_a_fresh_challenge_and_count_as_attempts(db) {
        let clock = Clock::manual(T);
        // Only answers to a live challenge are guesses: two of them here.
        let mfa = MfaSettings { attempt_limit: 2, ..MfaSettings::default() };
        let app = spawn_app_on(db, keys_config(mfa), clock.clone()).await;
        let seed = app.seed().await;
        set_policy(&app.store, &seed.acme, MfaPolicy::Enabled).await;
        place_key(&app.store, seed.acme_agent.id, "Desk key").await;
        let browser = app.browser();
        browser.login("acme.agent", PASSWORD).await;

        let (status, body) = browser.post_text("/mfa/security-key", &[("x", "y")]).await;
        assert_eq!(status, 422);
        assert!(body.contains("That took too long"), "no challenge yet: {body}");

        let (status, options) = browser.post_text("/mfa/security-key/options", &[]).await;
        assert_eq!(status, 200);
        let options: serde_json::Value = serde_json::from_str(&options).unwrap();
        let allowed = &options["publicKey"]["allowCredentials"];
        assert_eq!(allowed.as_array().map(Vec::len), Some(1), "{options}");
        assert_eq!(options["publicKey"]["rpId"], "localhost");
        assert!(options["publicKey"]["challenge"].as_str().is_some_and(|c| c.len() >= 43));

        let (status, body) = browser.post_text("/mfa/security-key", &[("not", "an answer")]).await;
        assert_eq!(status, 422);
        assert!(body.contains("The security key was not accepted"), "{body}");
        // The challenge answered once, even wrongly: gone.
        let (_, body) = browser.post_text("/mfa/security-key", &[("not", "an answer")]).await;
        assert!(body.contains("That took too long"), "{body}");

        browser.post("/mfa/security-key/options", &[]).await;
        clock.advance(300);
        let (_, body) = browser.post_text("/mfa/security-key", &[("late", "answer")]).await;
        assert!(body.contains("That took too long"), "five minutes: {body}");

        browser.post("/mfa/security-key/options", &[]).await;
        let (status, body) = browser.post_text("/mfa/security-key", &[("third", "wrong")]).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains(r#""redirect":"/login?reason=mfa-attempts""#), "the second wrong answer ends the attempt: {body}");
        let actions = audit_actions(&app.store).await;
        assert!(actions.contains(&"mfa.key_refused".to_string()), "{actions:?}");
        assert!(actions.contains(&"mfa.attempt_ended".to_string()), "{actions:?}");
    }

    /// One challenge, eight answers at once on two nodes: exactly one
    /// request gets to check its answer (the challenge is taken by one
    /// conditional delete), the others find none.
    async fn a_challenge_is_answered_once_across_nodes(db) {
        let mfa = MfaSettings { attempt_limit: 1000, hourly_limit: 1000, ..MfaSettings::default() };
        let app = spawn_app_with(db, keys_config(mfa)).await;
        let seed = app.seed().await;
        set_policy(&app.store, &seed.acme, MfaPolicy::Enabled).await;
        place_key(&app.store, seed.acme_agent.id, "Desk key").await;
        let other_node = app.second_node().await;
        let browser = app.browser();
        browser.login("acme.agent", PASSWORD).await;
        assert_eq!(browser.post("/mfa/security-key/options", &[]).await.status(), 200);
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let mut node = if i % 2 == 0 { app.browser() } else { Browser::new(&other_node) };
                node.client = browser.client.clone();
                tokio::spawn(async move { node.post_text("/mfa/security-key", &[("answer", "x")]).await.1 })
            })
            .collect();
        let mut bodies = Vec::new();
        for task in tasks {
            bodies.push(task.await.unwrap());
        }
        let checked = bodies.iter().filter(|b| b.contains("was not accepted")).count();
        let none = bodies.iter().filter(|b| b.contains("That took too long")).count();
        assert_eq!((checked, none), (1, 7), "{bodies:?}");
    }

    /// Security keys page lists the user's own keys; Remove needs proof of
    /// presence, is not found for another user's key, and afterwards the
    /// sign-in pop-up asks for the code alone.
    async fn a_removed_key_falls_back_to_the_code(db) {
        let app = spawn_app_on(db, keys_config(MfaSettings::default()), Clock::manual(T)).await;
        let seed = app.seed().await;
        set_policy(&app.store, &seed.acme, MfaPolicy::Enabled).await;
        let (browser, mut phone) = register(&app, "acme.agent").await;
        let key = place_key(&app.store, seed.acme_agent.id, "Blue key").await;
        let theirs = place_key(&app.store, seed.acme_admin.id, "Admin key").await;

        let (status, page) = browser.get_text("/my-mfa/security-keys").await;
        assert_eq!(status, 200);
        assert!(page.contains("<td>Blue key</td>") && page.contains("<td>never</td>"), "{page}");
        assert!(!page.contains("Admin key"), "only one's own keys");
        assert!(page.contains(">Add security key</button>") && page.contains(r#"<label for="key-name">Key name</label>"#));

        let other = browser.post(&format!("/my-mfa/security-keys/{theirs}/remove"), &[("confirming", "1"), ("proof", "000000")]).await;
        assert_eq!(other.status(), 404, "another user's key is not found");
        assert_eq!(app.store.user(seed.acme_admin.id).await.unwrap().unwrap().security_keys, 1);

        // A second session, as one opened with a copy of the key would be.
        let second = app.browser();
        second.login("acme.agent", PASSWORD).await;
        app.clock.advance(30);
        assert_eq!(location(&second.post("/mfa/verify", &[("code", &phone.code())]).await), "/home");
        let path = format!("/my-mfa/security-keys/{key}/remove");
        let (status, page) = browser.post_text(&path, &[]).await;
        assert_eq!(status, 200);
        assert!(page.contains("Confirm it's you") && page.contains("You are removing a security key"), "{page}");
        let (status, _) = browser.post_text(&path, &[("confirming", "1"), ("proof", "000000")]).await;
        assert_eq!(status, 422);
        assert_eq!(app.store.user(seed.acme_agent.id).await.unwrap().unwrap().security_keys, 1, "a wrong code removes nothing");
        app.clock.advance(30);
        let response = browser.post(&path, &[("confirming", "1"), ("proof", &phone.code())]).await;
        assert_eq!(location(&response), "/my-mfa/security-keys?done=key-removed");
        assert!(audit_actions(&app.store).await.contains(&"mfa.key_removed".to_string()));
        assert_eq!(location(&second.get("/recordings").await), "/login", "the other session ended");
        assert_eq!(browser.get("/recordings").await.status(), 200, "this one goes on");

        let again = app.browser();
        again.login("acme.agent", PASSWORD).await;
        let (_, page) = again.get_text("/mfa").await;
        assert!(!page.contains("Use security key") && page.contains(r#"<label for="mfa-code">Code</label>"#), "{page}");
        app.clock.advance(30);
        let response = again.post("/mfa/verify", &[("code", &phone.code())]).await;
        assert_eq!(location(&response), "/home");
    }

    /// An administrator's reset takes the keys with it; without a public
    /// address keys are off (the page says why, the pop-up does not offer
    /// them).
    async fn resets_clear_keys_and_keys_need_a_public_address(db) {
        let app = spawn_app_with(db, config_with(MfaSettings::default())).await;
        let seed = app.seed().await;
        set_policy(&app.store, &seed.acme, MfaPolicy::Enabled).await;
        let (_, _) = register(&app, "acme.agent").await;
        place_key(&app.store, seed.acme_agent.id, "Blue key").await;
        let browser = app.browser();
        browser.login("acme.agent", PASSWORD).await;
        let (_, page) = browser.get_text("/mfa").await;
        assert!(!page.contains("Use security key"), "no relying party: not offered");
        let (status, body) = browser.post_text("/mfa/security-key/options", &[]).await;
        assert_eq!(status, 422, "{body}");

        let (admin, _) = register(&app, "acme.admin").await;
        let (_, page) = admin.get_text("/my-mfa/security-keys").await;
        assert!(page.contains("Security keys are not available on this portal yet"), "{page}");
        assert!(!page.contains(">Add security key</button>"));
        let response = admin.post(&format!("/users/{}/reset-mfa", seed.acme_agent.id), &[]).await;
        assert_eq!(response.status(), 303);
        let user = app.store.user(seed.acme_agent.id).await.unwrap().unwrap();
        assert!(!user.mfa_registered && user.security_keys == 0);
    }
}
