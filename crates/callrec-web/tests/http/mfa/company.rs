//! Company MFA: the policy, the roll-out, grace periods, resets by an administrator, and who may reach them.

use super::*;

backend_tests! {
    /// The roll-out view: by default who has not registered; "All users"
    /// with when each registered and last used a code (issue 12).
    async fn the_rollout_view_shows_who_has_registered(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        set_policy(&app.store, &seed.acme, MfaPolicy::Enabled).await;
        register(&app, "acme.agent").await;
        let root = app.as_user("root").await;
        let row = |page: &str, user: &str| -> String {
            page.split("<tr").find(|r| r.contains(&format!("<td>{user}</td>"))).unwrap_or_default().to_string()
        };
        let (_, page) = root.get_text(&format!("/company-mfa?company={}", seed.acme.id)).await;
        assert!(row(&page, "acme.agent").is_empty(), "registered: not in the list");
        assert!(row(&page, "acme.lead").contains("not registered"));
        assert!(page.contains(r#"aria-current="page">Not registered</a>"#));
        let (_, page) = root.get_text(&format!("/company-mfa?company={}&show=all", seed.acme.id)).await;
        let agent = row(&page, "acme.agent");
        assert!(agent.contains("<td>20") && !agent.contains("not registered"), "{agent}");
        assert!(page.contains(r#"aria-current="page">All users</a>"#));
    }

    /// MFA Enabled with days to register: until the deadline users without
    /// a registration carry on under a banner (Register now takes them to
    /// the QR code); after it, the next page load asks them to register,
    /// in the middle of a session too (issue 12).
    async fn a_grace_period_to_register(db) {
        let clock = Clock::manual(1_800_000_000);
        let mut config = test_config();
        // Sessions long enough to outlive the grace period.
        config.session.idle = 8 * 86_400;
        config.session.absolute = 8 * 86_400;
        let app = spawn_app_on(db, config, clock.clone()).await;
        let seed = app.seed().await;
        let root = app.as_user("root").await;
        let company = seed.acme.id.to_string();
        let (status, page) = root.post_text("/company-mfa", &[("company", &company), ("policy", "enabled"), ("days", "31")]).await;
        assert_eq!(status, 422);
        assert!(page.contains("Days to register must be a whole number from 0 to 30"));
        let response = root.post("/company-mfa", &[("company", company.as_str()), ("policy", "enabled"), ("days", "7")]).await;
        assert_eq!(response.status(), 303);
        let (_, page) = root.get_text(&format!("/company-mfa?company={company}")).await;
        assert!(page.contains("must register by 2027-01-22"), "seven days on");

        let agent = app.browser();
        assert_eq!(location(&agent.login("acme.agent", PASSWORD).await), "/home", "carries on");
        let (status, page) = agent.get_text("/recordings").await;
        assert_eq!(status, 200);
        assert!(page.contains("Your company requires MFA from 2027-01-22"));
        assert!(page.contains(">Register now</button>"));
        let lead = app.as_user("acme.lead").await;

        // The QR code holds a new secret: the password first, once the
        // sign-in's few minutes are over.
        let agent = app.as_unconfirmed_user("acme.agent").await;
        let (status, page) = agent.post_text("/mfa/register-now", &[]).await;
        assert_eq!(status, 200);
        assert!(page.contains("Confirm it's you") && page.contains("holds a new secret"), "{page}");
        assert_eq!(location(&agent.post("/mfa/register-now", &[("confirming", "1"), ("proof", PASSWORD)]).await), "/mfa");
        assert!(audit_actions(&app.store).await.contains(&"mfa.opted_in".to_string()), "Register now is audited (wave 2, item 8)");
        let (_, page) = agent.get_text("/mfa").await;
        assert!(page.contains("Set up multi-factor authentication"), "straight to registration");

        clock.advance(7 * 86_400);
        assert_eq!(location(&lead.get("/recordings").await), "/mfa", "the deadline passed mid-session");
    }

    /// Days to register count in the company's zone: a week set at noon in
    /// London before the clocks go forward ends at noon London time, 167
    /// hours later (issue 12: grace dates across time zones).
    async fn days_to_register_count_in_the_companys_zone(db) {
        // 2026-03-25 12:00 UTC = 12:00 in London (GMT until the 29th).
        let clock = Clock::manual(1_774_440_000);
        let app = spawn_app_on(db, test_config(), clock.clone()).await;
        let seed = app.seed().await;
        app.store.set_up(0, async |write| write.set_company_time_zone(seed.acme.id, Some("Europe/London")).await).await.unwrap();
        app.store.set_up(0, async |write| write.set_company_time_zone(seed.globex.id, Some("America/New_York")).await).await.unwrap();
        let root = app.as_user("root").await;
        for company in [&seed.acme, &seed.globex] {
            let id = company.id.to_string();
            let form = [("company", id.as_str()), ("policy", "enabled"), ("days", "7")];
            assert_eq!(root.post("/company-mfa", &form).await.status(), 303);
        }
        let deadline = |name: &'static str| {
            let store = app.store.clone();
            async move { store.company_by_name(name).await.unwrap().unwrap().mfa_deadline.unwrap() }
        };
        let now = clock.now();
        assert_eq!(deadline("Acme").await - now, 7 * 86_400 - 3_600, "London springs forward on the 29th");
        assert_eq!(deadline("Globex").await - now, 7 * 86_400, "New York changed on the 8th: a plain week");
        let agent = app.as_user("acme.agent").await;
        let (_, page) = agent.get_text("/recordings").await;
        assert!(page.contains("Your company requires MFA from 2026-04-01 12:00"), "noon again, London time (the agent sees the company's zone)");
    }

    /// "Always require MFA for users who can manage users or MFA": under
    /// MFA Available such users must register at their next page load;
    /// everyone else still decides for themselves (issue 12).
    async fn administrators_must_use_mfa_when_the_company_says_so(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        set_policy(&app.store, &seed.acme, MfaPolicy::Available).await;
        let lead = app.as_user("acme.lead").await;
        let agent = app.as_user("acme.agent").await;
        let root = app.as_user("root").await;
        let (_, page) = root.get_text(&format!("/company-mfa?company={}", seed.acme.id)).await;
        assert!(page.contains(">Always require MFA for users who can manage users or MFA</label>"));
        let company = seed.acme.id.to_string();
        let form = [("company", company.as_str()), ("policy", "available"), ("mfa_for_admins", "on")];
        assert_eq!(root.post("/company-mfa", &form).await.status(), 303);
        assert_eq!(location(&lead.get("/recordings").await), "/mfa", "manages users: must register now");
        assert_eq!(agent.get("/recordings").await.status(), 200, "everyone else decides");
        let entries = app.store.audit_entries(&AuditQuery { action: Some("mfa.policy_changed".into()), limit: 5, ..AuditQuery::default() }).await.unwrap();
        assert_eq!(entries[0].details, "always required of users who manage users or MFA: on");

        // Saving without the box turns it off again.
        let form = [("company", company.as_str()), ("policy", "available")];
        root.post("/company-mfa", &form).await;
        let lead = app.as_user("acme.lead").await;
        assert_eq!(lead.get("/recordings").await.status(), 200);
    }

    async fn switching_to_enabled_reaches_open_sessions(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let agent = app.as_user("acme.agent").await;
        assert_eq!(agent.get("/recordings").await.status(), 200);
        let admin = app.as_user("acme.admin").await;
        let response = admin.post("/company-mfa", &[("policy", "enabled")]).await;
        assert_eq!(location(&response), "/company-mfa?done=mfa-saved");
        assert_eq!(location(&agent.get("/recordings").await), "/mfa", "the open session is taken to registration");
        assert_eq!(location(&admin.get("/users").await), "/mfa", "the administrator too");
        let changed = app.store.audit_entries(&AuditQuery { action: Some("mfa.policy_changed".into()), limit: 5, ..AuditQuery::default() }).await.unwrap();
        assert_eq!(changed[0].details, "MFA Disabled → MFA Enabled");
        assert_eq!(app.store.company(seed.acme.id).await.unwrap().unwrap().mfa_policy, MfaPolicy::Enabled);
    }

    async fn company_mfa_page_and_the_disable_phrase(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let admin = app.as_user("acme.admin").await;
        let (status, page) = admin.get_text("/company-mfa").await;
        assert_eq!(status, 200);
        assert!(page.contains(r#"<label for="mfa-policy">MFA setting</label>"#));
        for option in ["MFA Disabled", "MFA Available", "MFA Enabled"] {
            assert!(page.contains(&format!(">{option}</option>")), "{option}");
        }
        assert!(page.contains(">Save</button>"));
        assert!(page.contains("0 of 4 users have registered an authenticator. With MFA Enabled, 4 users will be asked to register."), "{page}");
        admin.post("/company-mfa", &[("policy", "available")]).await;
        assert_eq!(app.store.company(seed.acme.id).await.unwrap().unwrap().mfa_policy, MfaPolicy::Available);

        // Disabled without the phrase: the pop-up opens, nothing changes.
        let (status, page) = admin.post_text("/company-mfa", &[("policy", "disabled"), ("confirm_phrase", "")]).await;
        assert_eq!(status, 200);
        assert!(page.contains(r#"<dialog id="disable-mfa-dialog" aria-labelledby="disable-mfa-title" open data-open>"#));
        assert!(page.contains(r#"<label for="confirm-phrase">Type Disable MFA to confirm</label>"#) && page.contains(">Confirm</button>"));
        for wrong in ["disable mfa", "Disable MFA ", "Disable"] {
            let (status, page) = admin.post_text("/company-mfa", &[("policy", "disabled"), ("confirm_phrase", wrong)]).await;
            assert_eq!(status, 422, "{wrong:?}");
            assert!(page.contains("Type Disable MFA exactly to confirm."));
        }
        assert_eq!(app.store.company(seed.acme.id).await.unwrap().unwrap().mfa_policy, MfaPolicy::Available);
        let response = admin.post("/company-mfa", &[("policy", "disabled"), ("confirm_phrase", "Disable MFA")]).await;
        assert_eq!(response.status(), 303);
        assert_eq!(app.store.company(seed.acme.id).await.unwrap().unwrap().mfa_policy, MfaPolicy::Disabled);
        let (status, _) = admin.post_text("/company-mfa", &[("policy", "sometimes")]).await;
        assert_eq!(status, 422);
    }

    async fn registrations_survive_disabling(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        set_policy(&app.store, &seed.acme, MfaPolicy::Enabled).await;
        let (_, mut authenticator) = register(&app, "acme.agent").await;
        set_policy(&app.store, &seed.acme, MfaPolicy::Disabled).await;
        assert_eq!(location(&app.browser().login("acme.agent", PASSWORD).await), "/home");
        set_policy(&app.store, &seed.acme, MfaPolicy::Enabled).await;
        // No new QR code: straight to the code.
        sign_in_with_code(&app, "acme.agent", &mut authenticator).await;
    }

    async fn a_global_user_picks_the_company(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let root = app.as_user("root").await;
        let (_, page) = root.get_text("/company-mfa").await;
        assert!(page.contains("Manage MFA of Acme") && page.contains("Manage MFA of Globex"));
        assert!(!page.contains(r#"id="mfa-policy""#));
        let globex = seed.globex.id.to_string();
        let (_, page) = root.get_text(&format!("/company-mfa?company={globex}")).await;
        assert!(page.contains("<h2>Globex</h2>") && page.contains(r#"id="mfa-policy""#));
        let response = root.post("/company-mfa", &[("company", &globex), ("policy", "available")]).await;
        assert_eq!(location(&response), format!("/company-mfa?company={globex}&done=mfa-saved"));
        assert_eq!(app.store.company(seed.globex.id).await.unwrap().unwrap().mfa_policy, MfaPolicy::Available);
        // A company admin cannot reach another company by naming it.
        let acme_admin = app.as_user("acme.admin").await;
        acme_admin.post("/company-mfa", &[("company", &globex), ("policy", "enabled")]).await;
        assert_eq!(app.store.company(seed.globex.id).await.unwrap().unwrap().mfa_policy, MfaPolicy::Available);
        assert_eq!(app.store.company(seed.acme.id).await.unwrap().unwrap().mfa_policy, MfaPolicy::Enabled, "their own company instead");
    }

    async fn an_administrator_resets_another_users_mfa(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        set_policy(&app.store, &seed.acme, MfaPolicy::Enabled).await;
        let (agent, _) = register(&app, "acme.agent").await;
        let (admin, _) = register(&app, "acme.admin").await;
        let (_, page) = admin.get_text("/users").await;
        assert!(page.contains(r#"aria-label="Reset MFA for acme.agent""#));
        assert!(page.contains(">Registered</span>") && page.contains(">Not registered</span>"));
        let (status, page) = admin.get_text(&format!("/users?reset={}", seed.acme_agent.id)).await;
        assert_eq!(status, 200);
        assert!(page.contains("Reset MFA for acme.agent?</h2>") && page.contains(">Confirm</button>"));
        let response = admin.post(&format!("/users/{}/reset-mfa", seed.acme_agent.id), &[]).await;
        assert_eq!(location(&response), "/users?done=mfa-reset");
        assert!(!app.store.user(seed.acme_agent.id).await.unwrap().unwrap().mfa_registered);
        assert_eq!(app.store.count_user_sessions(seed.acme_agent.id).await.unwrap(), 0);
        assert_eq!(location(&agent.get("/recordings").await), "/login");
        let reset = app.store.audit_entries(&AuditQuery { action: Some("mfa.reset".into()), limit: 5, ..AuditQuery::default() }).await.unwrap();
        assert_eq!(reset[0].details, "registration cleared; 1 sessions ended");
        assert_eq!(reset[0].target.as_deref(), Some("acme.agent"));
    }

    async fn resets_across_companies_answer_404(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let admin = app.as_user("acme.admin").await;
        app.store.set_up(0, async |write| write.start_mfa_registration(seed.globex_agent.id, "v1.x.y", "s1").await).await.unwrap();
        app.store.set_up(0, async |write| write.confirm_mfa_registration(seed.globex_agent.id, "s1", 1).await).await.unwrap();
        assert_eq!(admin.get(&format!("/users?reset={}", seed.globex_agent.id)).await.status(), 404);
        assert_eq!(admin.post(&format!("/users/{}/reset-mfa", seed.globex_agent.id), &[]).await.status(), 404);
        assert_eq!(admin.post("/users/abc/reset-mfa", &[]).await.status(), 404);
        assert!(app.store.user(seed.globex_agent.id).await.unwrap().unwrap().mfa_registered, "untouched");
    }

    async fn staff_without_roles_get_404_on_every_mfa_route(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let support = app.as_user("acme.support").await;
        let (_, page) = support.get_text("/home").await;
        assert!(!page.contains("My MFA"), "no My MFA without Access to Manage Own MFA");
        assert_eq!(support.get("/company-mfa").await.status(), 404);
        assert_eq!(support.post("/company-mfa", &[("policy", "disabled"), ("confirm_phrase", "Disable MFA")]).await.status(), 404);
        assert_eq!(support.post("/my-mfa", &[("enable_mfa", "on")]).await.status(), 404);
        assert_eq!(support.post(&format!("/users/{}/reset-mfa", seed.acme_agent.id), &[]).await.status(), 404);
        assert_eq!(support.get(&format!("/users?reset={}", seed.acme_agent.id)).await.status(), 404);
        // Holding only Access to Manage Own MFA is not enough for the rest.
        let agent = app.as_user("acme.agent").await;
        assert_eq!(agent.get("/company-mfa").await.status(), 404);
        assert_eq!(agent.post(&format!("/users/{}/reset-mfa", seed.acme_support.id), &[]).await.status(), 404);
        assert!(seed.acme_agent.roles.contains(Role::ManageOwnMfa));
    }
}
