//! Single sign-on against a real OpenID provider (npm's oidc-provider,
//! `scripts/oidc-provider.sh`): the code flow through its sign-in form,
//! the refusals (wrong state, replayed code, another browser, another
//! company's domain, an expired token, a code of another client), the
//! three MFA modes, accounts created at first sign-in, SSO required, key
//! rotation, and who may change the settings — on SQLite and PostgreSQL.

use crate::harness::*;
use crate::mfa::set_policy;
use callrec_app::Clock;
use callrec_domain::{Level, MfaPolicy, Role};
use callrec_store::backend_tests;

/// The portal's public address in these tests: only the provider's
/// redirects name it; the test carries them to the portal itself.
const PUBLIC: &str = "http://portal.test";

/// A client registered at the provider (Dynamic Client Registration).
struct Client {
    id: String,
    secret: String,
}

async fn register_client(issuer: &str) -> Client {
    let answer: serde_json::Value = reqwest::Client::new()
        .post(format!("{issuer}/reg"))
        .json(&serde_json::json!({
            "redirect_uris": [format!("{PUBLIC}/sso/callback")],
            "token_endpoint_auth_method": "client_secret_basic",
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    Client {
        id: answer["client_id"].as_str().unwrap().to_string(),
        secret: answer["client_secret"].as_str().unwrap().to_string(),
    }
}

async fn portal(db: callrec_store::testing::TestDb, clock: Clock) -> TestApp {
    let mut config = test_config();
    config.public_url = Some(PUBLIC.into());
    spawn_app_on(db, config, clock).await
}

/// Acme's single sign-on set through Company settings by its administrator.
async fn set_up_sso(app: &TestApp, issuer: &str, client: &Client, extra: &[(&str, &str)]) {
    let admin = app.as_user("acme.admin").await;
    let mut form = vec![
        ("issuer", issuer),
        ("client_id", client.id.as_str()),
        ("client_secret", client.secret.as_str()),
        ("domains", "example.com"),
        ("mfa", "portal"),
        ("action", "apply"),
    ];
    for (name, value) in extra {
        form.retain(|(field, _)| field != name);
        form.push((name, value));
    }
    let response = admin.post("/company-settings/sso", &form).await;
    assert_eq!(response.status(), 303, "{}", response.text().await.unwrap());
    assert!(location(&response).contains("done=sso-saved"));
}

/// Begins single sign-on for `email` in `browser`; the provider's URL,
/// from the page that moves on to it.
async fn start(browser: &Browser, email: &str) -> String {
    let (status, page) = browser.post_text("/sso/start", &[("email", email)]).await;
    assert_eq!(status, 200, "{page}");
    provider_url(&page)
}

/// The provider's URL on the page that moves on to it.
fn provider_url(page: &str) -> String {
    let (_, rest) = page
        .split_once(r#"id="sso-continue" href=""#)
        .expect("Continue link");
    let shown = rest.split('"').next().unwrap();
    assert!(page.contains(&format!(r#"content="0;url={shown}"#)));
    shown.replace("&#38;", "&").replace("&amp;", "&")
}

/// Signs in at the provider's form as `login` (with a second factor or
/// not); the portal's callback path and query the provider sends back.
async fn at_provider(issuer: &str, mut url: String, login: &str, mfa: bool) -> String {
    let idp = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for _ in 0..10 {
        if let Some(back) = url.strip_prefix(PUBLIC) {
            return back.to_string();
        }
        let response = idp.get(&url).send().await.unwrap();
        if response.status() == 200 {
            let page = response.text().await.unwrap();
            assert!(page.contains("Test identity provider"), "{page}");
            let path = url.split_once("/interaction/").map(|(_, uid)| uid).unwrap();
            let mut form = vec![("login", login), ("password", "anything")];
            if mfa {
                form.push(("mfa", "1"));
            }
            let body = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&form)
                .finish();
            let posted = idp
                .post(format!("{issuer}/interaction/{path}"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .unwrap();
            url = absolute(issuer, &location(&posted));
            continue;
        }
        assert!(response.status().is_redirection(), "{}", response.status());
        url = absolute(issuer, &location(&response));
    }
    panic!("the provider never sent the browser back");
}

fn absolute(issuer: &str, location: &str) -> String {
    if location.starts_with('/') {
        format!("{issuer}{location}")
    } else {
        location.to_string()
    }
}

/// The whole sign-in of `login` (typed as `email` on the portal) in
/// `browser`; the portal's answer to the callback.
async fn sign_in(
    browser: &Browser,
    issuer: &str,
    email: &str,
    login: &str,
    mfa: bool,
) -> reqwest::Response {
    let url = start(browser, email).await;
    let back = at_provider(issuer, url, login, mfa).await;
    browser.get(&back).await
}

/// The details of the newest audit entries of `action`.
async fn audit_details(app: &TestApp, action: &str) -> Vec<String> {
    app.audit_of(action)
        .await
        .into_iter()
        .map(|(_, details)| details)
        .collect()
}

backend_tests! {
    async fn sso_signs_in_through_the_provider_once_per_state(db) {
        let Some(issuer) = callrec_store::testing::test_oidc_issuer("sso_signs_in") else { return };
        let app = portal(db, Clock::system()).await;
        let seed = app.seed().await;
        let client = register_client(&issuer).await;
        set_up_sso(&app, &issuer, &client, &[]).await;

        // The sign-in page offers it; the provider's form; back signed in.
        let (_, page) = app.browser().get_text("/login").await;
        assert!(page.contains(">Sign in with single sign-on</button>"), "{page}");
        assert!(page.contains(r#"<label for="sso-email">Work email</label>"#));
        let browser = app.browser();
        let url = start(&browser, "acme.agent@example.com").await;
        assert!(url.starts_with(&format!("{issuer}/auth?")), "{url}");
        for part in ["code_challenge_method=S256", "state=", "nonce=", "response_type=code", "login_hint=acme.agent%40example.com"] {
            assert!(url.contains(part), "{part} in {url}");
        }
        let back = at_provider(&issuer, url, "acme.agent@example.com", false).await;
        let response = browser.get(&back).await;
        assert_eq!(response.status(), 303, "{}", response.text().await.unwrap());
        assert_eq!(location(&response), "/home");
        let (status, _) = browser.get_text("/recordings").await;
        assert_eq!(status, 200, "signed in");
        let signed_in = audit_details(&app, "sign_in.succeeded").await;
        assert!(
            signed_in.iter().any(|d| d.contains("single sign-on") && d.contains(&format!("identity provider {issuer}")) && d.contains("subject acme.agent@example.com") && d.contains("amr pwd")),
            "{signed_in:?}"
        );

        // The same callback again (a replayed code and state): refused.
        let again = browser.get(&back).await;
        assert_eq!(again.status(), 403);
        assert!(again.text().await.unwrap().contains("expired or was already used"));
        // A state nobody issued.
        let (status, page) = app.browser().get_text("/sso/callback?code=abc&state=forged").await;
        assert_eq!(status, 403);
        assert!(page.contains("expired or was already used"), "{page}");

        // Begun in one browser, finished in another: refused, and the
        // state is spent for the first too.
        let first = app.browser();
        let url = start(&first, "acme.agent@example.com").await;
        let back = at_provider(&issuer, url, "acme.agent@example.com", false).await;
        assert_eq!(app.browser().get(&back).await.status(), 403);
        assert_eq!(first.get(&back).await.status(), 403);

        // Someone of another company's domain signing in at Acme's provider.
        let stranger = app.browser();
        let response = sign_in(&stranger, &issuer, "acme.agent@example.com", "eve@globex.test", false).await;
        assert_eq!(response.status(), 403);
        assert!(response.text().await.unwrap().contains("no account for you here"));
        // An address the provider has not verified.
        let response = sign_in(&app.browser(), &issuer, "acme.agent@example.com", "unverified@example.com", false).await;
        assert_eq!(response.status(), 403);
        // A disabled user.
        callrec_store::testing::execute(&app.store, &format!("UPDATE users SET enabled = 0 WHERE id = {}", seed.acme_support.id.0)).await.unwrap();
        let response = sign_in(&app.browser(), &issuer, "acme.support@example.com", "acme.support@example.com", false).await;
        assert_eq!(response.status(), 403);
        assert!(response.text().await.unwrap().contains("Your account is disabled"));
        let failed = audit_details(&app, "sign_in.failed").await;
        for reason in ["email domain not the company's", "no verified email", "account disabled", "begun in another browser"] {
            assert!(failed.iter().any(|d| d.contains(reason)), "{reason}: {failed:?}");
        }

        // A disabled company: its sign-in in flight is refused at the
        // callback, and a new one does not start.
        let browser = app.browser();
        let url = start(&browser, "acme.lead@example.com").await;
        let back = at_provider(&issuer, url, "acme.lead@example.com", false).await;
        callrec_store::testing::execute(&app.store, &format!("UPDATE companies SET enabled = 0 WHERE id = {}", seed.acme.id.0)).await.unwrap();
        let response = browser.get(&back).await;
        assert_eq!(response.status(), 403);
        let page = response.text().await.unwrap();
        assert!(page.contains("not working for your company"), "{page}");
        let (status, page) = app.browser().post_text("/sso/start", &[("email", "acme.lead@example.com")]).await;
        assert_eq!(status, 422);
        assert!(page.contains("Single sign-on is not set up for example.com"), "{page}");
        callrec_store::testing::execute(&app.store, &format!("UPDATE companies SET enabled = 1 WHERE id = {}", seed.acme.id.0)).await.unwrap();
        let failed = audit_details(&app, "sign_in.failed").await;
        assert!(failed.iter().any(|d| d.contains("single sign-on off")), "{failed:?}");

        // An email domain nobody signs in with.
        let (status, page) = app.browser().post_text("/sso/start", &[("email", "ann@nowhere.test")]).await;
        assert_eq!(status, 422);
        assert!(page.contains("Single sign-on is not set up for nowhere.test"), "{page}");
        let (status, page) = app.browser().post_text("/sso/start", &[("email", "not an email")]).await;
        assert_eq!(status, 422);
        assert!(page.contains("Enter your work email"), "{page}");
    }

    async fn sso_refuses_expired_tokens_and_other_clients_codes(db) {
        let Some(issuer) = callrec_store::testing::test_oidc_issuer("sso_refuses_expired") else { return };
        let clock = Clock::manual(callrec_app::system_now());
        let app = portal(db, clock.clone()).await;
        app.seed().await;
        let client = register_client(&issuer).await;
        set_up_sso(&app, &issuer, &client, &[]).await;

        // The provider's ID tokens live 60 s: five minutes on by the
        // portal's clock (its own sign-in still in time), it is expired.
        let browser = app.browser();
        let url = start(&browser, "acme.agent@example.com").await;
        let back = at_provider(&issuer, url, "acme.agent@example.com", false).await;
        clock.advance(300);
        let response = browser.get(&back).await;
        assert_eq!(response.status(), 403);
        // Past the portal's ten minutes, refused before the provider is asked.
        let browser = app.browser();
        let url = start(&browser, "acme.agent@example.com").await;
        let back = at_provider(&issuer, url, "acme.agent@example.com", false).await;
        clock.advance(601);
        assert_eq!(browser.get(&back).await.status(), 403);
        let failed = audit_details(&app, "sign_in.failed").await;
        assert!(failed.iter().any(|d| d.contains("ID token refused") && d.contains("expired")), "{failed:?}");
        assert!(failed.iter().any(|d| d.contains("took too long")), "{failed:?}");

        // A code the provider issued to another client, brought to
        // Acme's callback with Acme's state: the provider refuses to
        // redeem it for Acme's client.
        let other = register_client(&issuer).await;
        let browser = app.browser();
        let url = start(&browser, "acme.agent@example.com").await;
        let url = url.replace(&format!("client_id={}", client.id), &format!("client_id={}", other.id));
        let back = at_provider(&issuer, url, "acme.agent@example.com", false).await;
        assert_eq!(browser.get(&back).await.status(), 403);
        let failed = audit_details(&app, "sign_in.failed").await;
        assert!(failed.iter().any(|d| d.contains("code refused")), "{failed:?}");
    }

    async fn sso_mfa_modes_decide_what_our_mfa_asks(db) {
        let Some(issuer) = callrec_store::testing::test_oidc_issuer("sso_mfa_modes") else { return };
        let app = portal(db, Clock::system()).await;
        let seed = app.seed().await;
        let client = register_client(&issuer).await;
        // portal: the company's MFA after the provider, as for a password.
        set_up_sso(&app, &issuer, &client, &[]).await;
        set_policy(&app.store, &seed.acme, MfaPolicy::Enabled).await;
        let response = sign_in(&app.browser(), &issuer, "acme.agent@example.com", "acme.agent@example.com", true).await;
        assert_eq!(location(&response), "/mfa");

        // idp: the provider's sign-in counts. (Its administrator changes
        // the settings with the policy off: they have not registered.)
        set_policy(&app.store, &seed.acme, MfaPolicy::Disabled).await;
        set_up_sso(&app, &issuer, &client, &[("mfa", "idp")]).await;
        set_policy(&app.store, &seed.acme, MfaPolicy::Enabled).await;
        let response = sign_in(&app.browser(), &issuer, "acme.agent@example.com", "acme.agent@example.com", false).await;
        assert_eq!(location(&response), "/home");
        let succeeded = audit_details(&app, "sign_in.succeeded").await;
        assert!(succeeded.iter().any(|d| d.contains("MFA idp") && d.contains("acr pwd")), "{succeeded:?}");

        // both: no MFA at the provider is refused; with it, agents are in
        // and those who manage users give our code too, whatever the
        // company's policy.
        set_policy(&app.store, &seed.acme, MfaPolicy::Disabled).await;
        set_up_sso(&app, &issuer, &client, &[("mfa", "both")]).await;
        let response = sign_in(&app.browser(), &issuer, "acme.agent@example.com", "acme.agent@example.com", false).await;
        assert_eq!(response.status(), 403);
        assert!(response.text().await.unwrap().contains("requires multi-factor authentication at your identity provider"));
        let response = sign_in(&app.browser(), &issuer, "acme.agent@example.com", "acme.agent@example.com", true).await;
        assert_eq!(location(&response), "/home");
        let browser = app.browser();
        let response = sign_in(&browser, &issuer, "acme.lead@example.com", "acme.lead@example.com", true).await;
        assert_eq!(location(&response), "/mfa", "Manage Users: our MFA as well");
        let (status, _) = browser.get_text("/recordings").await;
        assert_eq!(status, 303, "not in until our MFA is done");
        // A password sign-in under policy Disabled still asks nothing.
        let response = app.browser().login("acme.lead", PASSWORD).await;
        assert_eq!(location(&response), "/home");
    }

    async fn sso_creates_people_and_can_be_required(db) {
        let Some(issuer) = callrec_store::testing::test_oidc_issuer("sso_creates_people") else { return };
        let app = portal(db, Clock::system()).await;
        let seed = app.seed().await;
        let client = register_client(&issuer).await;

        // Without --create-users an unknown person is refused.
        set_up_sso(&app, &issuer, &client, &[]).await;
        let response = sign_in(&app.browser(), &issuer, "new.person@example.com", "new.person@example.com", false).await;
        assert_eq!(response.status(), 403);
        assert!(app.store.user_by_username("new.person@example.com").await.unwrap().is_none());

        // With it: Staff, Agent preset, on the chosen team, told so.
        let support = seed.support.id.0.to_string();
        set_up_sso(&app, &issuer, &client, &[("create_users", "1"), ("team", &support)]).await;
        let browser = app.browser();
        let response = sign_in(&browser, &issuer, "new.person@example.com", "new.person@example.com", false).await;
        assert_eq!(location(&response), "/home?done=sso-account-created");
        let made = app.store.user_by_username("new.person@example.com").await.unwrap().unwrap();
        assert_eq!(made.level, Level::Staff);
        assert_eq!(made.team_id, Some(seed.support.id));
        assert_eq!(made.roles.iter().collect::<Vec<_>>(), vec![Role::Recordings]);
        assert_eq!(made.email.as_deref(), Some("new.person@example.com"));
        assert_eq!(made.display_name, "New.person");
        let home = browser.get("/home?done=sso-account-created").await;
        assert_eq!(home.status(), 200, "{}", location(&home));
        let page = home.text().await.unwrap();
        assert!(page.contains("your account was created"), "told so: {page}");
        let created = audit_details(&app, "user.created").await;
        assert!(created.iter().any(|d| d.contains("first single sign-on") && d.contains("subject new.person@example.com")), "{created:?}");
        // The second time they are the same user (bound by subject).
        let response = sign_in(&app.browser(), &issuer, "new.person@example.com", "new.person@example.com", false).await;
        assert_eq!(location(&response), "/home");

        // Required: passwords refused but to local administrators and
        // operators; the refusal says where to go.
        let admin = seed.acme_admin.id.0.to_string();
        set_up_sso(&app, &issuer, &client, &[("required", "1"), ("local_admin", &admin)]).await;
        let response = app.browser().login("acme.agent", PASSWORD).await;
        assert_eq!(response.status(), 403);
        assert!(response.text().await.unwrap().contains("Use Sign in with single sign-on"));
        assert_eq!(app.browser().login("acme.agent", "a wrong password").await.status(), 401, "a wrong password learns nothing");
        assert_eq!(location(&app.browser().login("acme.admin", PASSWORD).await), "/home");
        assert_eq!(app.browser().login("root", PASSWORD).await.status(), 303);
        assert_eq!(app.browser().login("globex.admin", PASSWORD).await.status(), 303, "other companies unchanged");
        let failed = audit_details(&app, "sign_in.failed").await;
        assert!(failed.iter().any(|d| d == "single sign-on required"), "{failed:?}");
    }

    async fn sso_settings_are_checked_and_kept_to_their_company(db) {
        let Some(issuer) = callrec_store::testing::test_oidc_issuer("sso_settings") else { return };
        let app = portal(db, Clock::system()).await;
        let seed = app.seed().await;
        let client = register_client(&issuer).await;
        let good = |extra: &[(&'static str, String)]| {
            let mut form: Vec<(&'static str, String)> = vec![
                ("company", seed.acme.id.0.to_string()),
                ("issuer", issuer.clone()),
                ("client_id", client.id.clone()),
                ("client_secret", client.secret.clone()),
                ("domains", "example.com".into()),
                ("mfa", "portal".into()),
            ];
            for (name, value) in extra {
                form.retain(|(field, _)| field != name);
                form.push((name, value.clone()));
            }
            form
        };
        let send = async |browser: &Browser, form: Vec<(&'static str, String)>| {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            browser.post_text("/company-settings/sso", &form).await
        };
        let admin = app.as_user("acme.admin").await;
        for (extra, message) in [
            (vec![("issuer", "http://idp.example.com".to_string())], "must start with https://"),
            (vec![("issuer", "https://127.0.0.1:1/nothing".to_string())], "did not answer OpenID Connect discovery"),
            (vec![("domains", "".to_string())], "at least one email domain"),
            (vec![("domains", "exa mple".to_string())], "is not an email domain"),
            (vec![("mfa", "none".to_string())], "MFA must be one of"),
            (vec![("client_secret", "".to_string())], "Enter the client secret"),
            (vec![("required", "1".to_string())], "at least one local administrator"),
        ] {
            let (status, page) = send(&admin, good(&extra)).await;
            assert_eq!(status, 422, "{extra:?}: {page}");
            assert!(page.contains(message), "{message}: {page}");
        }
        assert!(app.store.company_sso(seed.acme.id).await.unwrap().is_none(), "nothing half-written");
        let (status, page) = send(&admin, good(&[])).await;
        assert_eq!(status, 303, "{page}");
        let saved = app.store.company_sso(seed.acme.id).await.unwrap().unwrap();
        assert!(!saved.client_secret.contains(&client.secret), "the secret is sealed");
        assert!(saved.client_secret.starts_with("v1."));
        // The page shows it back, never the secret.
        let (_, page) = admin.get_text("/company-settings").await;
        assert!(page.contains("Single sign-on is <strong>on</strong> for example.com"), "{page}");
        assert!(page.contains(&format!("{PUBLIC}/sso/callback")));
        assert!(!page.contains(&client.secret));
        // Saved again without a secret: the sealed one is kept.
        let (status, page) = send(&admin, good(&[("client_secret", String::new())])).await;
        assert_eq!(status, 303, "{page}");

        // One company per domain.
        let globex = app.as_user("globex.admin").await;
        let mut theirs = good(&[]);
        theirs.retain(|(k, _)| *k != "company");
        let (status, page) = send(&globex, theirs).await;
        assert_eq!(status, 422);
        assert!(page.contains("Another company signs in with example.com"), "{page}");
        // The provider's MFA standing for ours takes Manage Company MFA.
        app.user(&seed.acme, None, "acme.users", Level::Company, &[Role::ManageUsers]).await;
        let users_only = app.as_user("acme.users").await;
        let (status, page) = send(&users_only, good(&[("mfa", "idp".to_string())])).await;
        assert_eq!(status, 422);
        assert!(page.contains("needs Access to Manage Company MFA"), "{page}");
        // Without Manage Users the section does not exist for them.
        let agent = app.as_user("acme.agent").await;
        let (status, _) = send(&agent, good(&[])).await;
        assert_eq!(status, 404);
        // Not confirmed a moment ago: "Confirm it's you" first, nothing saved.
        let unconfirmed = app.as_unconfirmed_user("acme.admin").await;
        let (_, page) = send(&unconfirmed, good(&[("action", "off".to_string())])).await;
        assert!(page.contains("Confirm it&#39;s you") || page.contains("Confirm it's you"), "{page}");
        assert!(app.store.company_sso(seed.acme.id).await.unwrap().is_some());

        // Turned off: gone, audited, and the sign-in page stops offering it.
        let admin = app.as_user("acme.admin").await;
        let (status, _) = send(&admin, good(&[("action", "off".to_string())])).await;
        assert_eq!(status, 303);
        assert!(app.store.company_sso(seed.acme.id).await.unwrap().is_none());
        let (_, page) = app.browser().get_text("/login").await;
        assert!(!page.contains("Sign in with single sign-on"));
        let changes = audit_details(&app, "company.sso_changed").await;
        assert!(changes.iter().any(|d| d.contains("new client secret") && d.contains("domains example.com")), "{changes:?}");
        assert!(changes.iter().any(|d| d.contains("client secret kept")), "{changes:?}");
        assert!(changes.iter().any(|d| d == "single sign-on turned off"), "{changes:?}");
        assert!(changes.iter().all(|d| !d.contains(&client.secret)));
    }

    async fn sso_finishes_on_another_node_and_follows_key_rotation(db) {
        let Some(issuer) = callrec_store::testing::test_oidc_issuer("sso_rotation") else { return };
        let app = portal(db, Clock::system()).await;
        app.seed().await;
        let client = register_client(&issuer).await;
        set_up_sso(&app, &issuer, &client, &[]).await;
        // Begun on one node, finished on another: the state is in the database.
        let browser = app.browser();
        let url = start(&browser, "acme.agent@example.com").await;
        let back = at_provider(&issuer, url, "acme.agent@example.com", false).await;
        let other = Browser {
            client: browser.client.clone(),
            base: app.second_node().await,
        };
        assert_eq!(location(&other.get(&back).await), "/home");
        // The provider rotates its signing key: the portal's kept keys lack
        // it, so it reads them again and the sign-in goes through.
        let rotated: serde_json::Value = reqwest::Client::new()
            .post(format!("{issuer}/test/rotate"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(rotated["kid"].as_str().unwrap().starts_with("test-key-"));
        let response = sign_in(&app.browser(), &issuer, "acme.agent@example.com", "acme.agent@example.com", false).await;
        assert_eq!(location(&response), "/home");
    }

    /// A provider the company's administrator controls must not speak for
    /// their peers: Company users are matched only once they linked
    /// themselves, and links end with the issuer they were made at.
    async fn sso_links_administrators_only_by_themselves(db) {
        let Some(issuer) = callrec_store::testing::test_oidc_issuer("sso_links") else { return };
        let app = portal(db, Clock::system()).await;
        let seed = app.seed().await;
        let client = register_client(&issuer).await;
        set_up_sso(&app, &issuer, &client, &[]).await;
        let response = sign_in(&app.browser(), &issuer, "acme.admin@example.com", "acme.admin@example.com", false).await;
        assert_eq!(response.status(), 403);
        assert!(response.text().await.unwrap().contains("My account → Link single sign-on"));

        // Linked from My account, signed in, through the provider.
        let admin = app.as_user("acme.admin").await;
        let (_, page) = admin.get_text("/my-account").await;
        assert!(page.contains(">Link single sign-on</button>"), "{page}");
        let (status, page) = admin.post_text("/my-account/sso-link", &[]).await;
        assert_eq!(status, 200, "{page}");
        let url = provider_url(&page);
        let back = at_provider(&issuer, url, "acme.admin@example.com", false).await;
        // Only the session that began it finishes it.
        assert_eq!(app.browser().get(&back).await.status(), 403);
        let (status, page) = admin.post_text("/my-account/sso-link", &[]).await;
        assert_eq!(status, 200);
        let back = at_provider(&issuer, provider_url(&page), "acme.admin@example.com", false).await;
        assert_eq!(location(&admin.get(&back).await), "/my-account?done=sso-linked");
        let (_, page) = admin.get_text("/my-account").await;
        assert!(page.contains("is <strong>linked</strong>"), "{page}");
        let response = sign_in(&app.browser(), &issuer, "acme.admin@example.com", "acme.admin@example.com", false).await;
        assert_eq!(response.status(), 303, "{}", response.text().await.unwrap());
        let linked = audit_details(&app, "user.changed").await;
        assert!(linked.iter().any(|d| d.contains("single sign-on linked") && d.contains("subject acme.admin@example.com")), "{linked:?}");

        // Another issuer: every link of the company ends.
        let domains = [callrec_domain::sso::EmailDomain::parse("example.com").unwrap()];
        let config = callrec_store::NewSsoConfig {
            issuer: "https://elsewhere.example.com",
            client_id: "x",
            client_secret: "v1.x",
            mfa: callrec_domain::sso::SsoMfa::Portal,
            create_users: false,
            required: false,
            trust_email: false,
            team_id: None,
            domains: &domains,
        };
        let mut write = app.store.write(0).await.unwrap();
        write.set_company_sso(seed.acme.id, config).await.unwrap().unwrap();
        write.commit().await.unwrap();
        assert!(!app.store.user(seed.acme_admin.id).await.unwrap().unwrap().sso_linked);
    }
}
