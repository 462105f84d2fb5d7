//! A user's own account (issue 11): Change password under My account,
//! temporary passwords that must be replaced at the next sign-in, and
//! their expiry.

use crate::harness::*;
use callrec_app::Clock;
use callrec_domain::{MfaPolicy, PasswordLife};
use callrec_store::{backend_tests, AuditQuery};

const NEW: &str = "a phrase of my very own";
const T: i64 = 1_800_000_000;

fn change<'a>(current: &'a str, new: &'a str, confirm: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("return_to", "/recordings"),
        ("current_password", current),
        ("new_password", new),
        ("confirm_password", confirm),
    ]
}

async fn entries(app: &TestApp, action: &str) -> Vec<callrec_store::AuditEntry> {
    app.store
        .audit_entries(&AuditQuery {
            action: Some(action.into()),
            limit: 20,
            ..AuditQuery::default()
        })
        .await
        .unwrap()
}

backend_tests! {
    /// Every page offers My account; Change password checks the current
    /// password, the rules and the confirmation, then ends the user's
    /// other sessions and keeps this one.
    async fn my_account_changes_the_password(db) {
        let app = spawn_app(db).await;
        app.seed().await;
        let here = app.as_user("acme.agent").await;
        let elsewhere = app.as_user("acme.agent").await;
        let (_, page) = here.get_text("/recordings").await;
        assert!(page.contains(r#"data-open-dialog="my-account-dialog">My account</button>"#));
        for label in ["Current password", "New password", "Confirm new password"] {
            assert!(page.contains(&format!(">{label}</label>")), "{label}");
        }

        for (form, message) in [
            (change("", NEW, NEW), "Enter your current password"),
            (change("not my password", NEW, NEW), "That is not your current password"),
            (change(PASSWORD, "short", "short"), "Password must be at least 12 characters"),
            (change(PASSWORD, NEW, "a phrase of my very owN"), "The two new passwords are not the same"),
            (change(PASSWORD, PASSWORD, PASSWORD), "Choose a password other than the one you have now"),
        ] {
            let (status, page) = here.post_text("/my-account/password", &form).await;
            assert_eq!(status, 422, "{message}");
            assert!(page.contains(message), "{message}");
            assert!(page.contains(r#"aria-invalid="true""#), "{message}: the field is marked");
        }
        assert_eq!(entries(&app, "user.password_change_refused").await.len(), 1, "the wrong current password is audited");
        assert_eq!(elsewhere.get("/recordings").await.status(), 200, "nothing changed yet");

        let response = here.post("/my-account/password", &change(PASSWORD, NEW, NEW)).await;
        assert_eq!(response.status(), 303);
        assert_eq!(location(&response), "/recordings?done=password-changed");
        let (_, page) = here.get_text("/recordings?done=password-changed").await;
        assert!(page.contains("Password changed. Your other sessions have ended."));
        assert_eq!(location(&elsewhere.get("/recordings").await), "/login", "the other session ended");
        assert_eq!(app.browser().login("acme.agent", PASSWORD).await.status(), 401);
        assert_eq!(app.browser().login("acme.agent", NEW).await.status(), 303);
        let changed = entries(&app, "user.password_changed").await;
        assert_eq!(changed[0].details, "own password; 1 other sessions ended");
    }

    /// A wrong current password is a guess at the password: it counts
    /// against the same per-account limit as the sign-in page.
    async fn wrong_current_passwords_share_the_sign_in_limit(db) {
        let mut config = test_config();
        config.sign_in_per_account.limit = 3;
        let app = spawn_app_with(db, config).await;
        app.seed().await;
        let here = app.as_user("acme.agent").await;
        for _ in 0..3 {
            let (status, _) = here.post_text("/my-account/password", &change("guess guess guess", NEW, NEW)).await;
            assert_eq!(status, 422);
        }
        let (status, page) = here.post_text("/my-account/password", &change(PASSWORD, NEW, NEW)).await;
        assert_eq!(status, 422);
        assert!(page.contains("Too many wrong passwords. Try again in 15 minutes."), "even the right one waits");
        assert_eq!(app.browser().login("acme.agent", PASSWORD).await.status(), 429, "and so does the sign-in page");
    }

    /// A password an administrator sets is temporary: after it (and after
    /// MFA, when due) the user must choose their own before any page.
    async fn a_temporary_password_must_be_replaced_first(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let admin = app.as_user("acme.admin").await;
        let team = seed.sales.id.to_string();
        let temporary = "temporary pass phrase";
        let response = admin.post("/users", &[
            ("username", "new.agent"), ("display_name", "New Agent"), ("level", "staff"),
            ("team", &team), ("password", temporary), ("roles", "recordings"),
        ]).await;
        assert_eq!(response.status(), 303);
        let user = app.store.user_by_username("new.agent").await.unwrap().unwrap();
        assert_eq!(user.password_life, PasswordLife::temporary(user.created_at, 72), "72 hours by default");

        let new_user = app.browser();
        let response = new_user.login("new.agent", temporary).await;
        assert_eq!(location(&response), "/choose-password");
        for path in ["/recordings", "/home", "/my-account"] {
            assert_eq!(location(&new_user.get(path).await), "/choose-password", "{path} waits");
        }
        let (status, page) = new_user.get_text("/choose-password").await;
        assert_eq!(status, 200);
        assert!(page.contains("<h2 id=\"choose-title\">Choose a new password</h2>"));
        assert!(!page.contains("Current password"), "just typed: not asked again");
        let choose = |new: &'static str, confirm: &'static str| vec![("new_password", new), ("confirm_password", confirm)];
        let (status, page) = new_user.post_text("/choose-password", &choose(temporary, temporary)).await;
        assert_eq!(status, 422);
        assert!(page.contains("Choose a password other than the one you have now"));
        let (status, _) = new_user.post_text("/choose-password", &choose(NEW, "something else entirely")).await;
        assert_eq!(status, 422);
        let response = new_user.post("/choose-password", &choose(NEW, NEW)).await;
        assert_eq!(location(&response), "/home?done=password-chosen");
        assert_eq!(new_user.get("/recordings").await.status(), 200);
        let user = app.store.user(user.id).await.unwrap().unwrap();
        assert_eq!(user.password_life, PasswordLife::Permanent);
        assert_eq!(location(&new_user.get("/choose-password").await), "/home", "nothing left to choose");

        // Modify → new password for someone else is temporary too; MFA
        // comes first when the company requires it.
        let mut form = vec![("display_name", "acme.support display"), ("level", "staff"), ("team", team.as_str()), ("enabled", "on")];
        let support_team = seed.support.id.to_string();
        form[2] = ("team", support_team.as_str());
        form.push(("new_password", "another temporary phrase"));
        let response = admin.post(&format!("/users/{}", seed.acme_support.id), &form).await;
        assert_eq!(location(&response), "/users?done=user-saved");
        app.store.set_up(0, async |write| write.set_mfa_policy(seed.acme.id, MfaPolicy::Enabled).await).await.unwrap();
        let support = app.browser();
        assert_eq!(location(&support.login("acme.support", "another temporary phrase").await), "/mfa");
        assert_eq!(location(&support.get("/choose-password").await), "/mfa", "MFA before the new password");
    }

    /// A temporary password stops working after CALLREC_TEMPORARY_PASSWORD_HOURS;
    /// the sign-in then says to ask an administrator (and only to whoever
    /// typed the right password).
    async fn a_temporary_password_expires(db) {
        let clock = Clock::manual(T);
        let mut config = test_config();
        config.temporary_password_hours = 2;
        let app = spawn_app_on(db, config, clock.clone()).await;
        let seed = app.seed().await;
        let admin = app.as_user("acme.admin").await;
        let team = seed.support.id.to_string();
        let form = [("display_name", "S"), ("level", "staff"), ("team", team.as_str()), ("enabled", "on"), ("new_password", "temporary pass phrase")];
        assert_eq!(admin.post(&format!("/users/{}", seed.acme_support.id), &form).await.status(), 303);

        clock.advance(2 * 3600 - 1);
        let early = app.browser();
        assert_eq!(location(&early.login("acme.support", "temporary pass phrase").await), "/choose-password");
        clock.advance(1);
        assert_eq!(location(&early.get("/choose-password").await), "/login", "expired within the session too");
        let response = app.browser().login("acme.support", "temporary pass phrase").await;
        assert_eq!(response.status(), 401);
        let page = response.text().await.unwrap();
        assert!(page.contains("Your temporary password has expired. Ask your administrator to set a new one."));
        let response = app.browser().login("acme.support", "a wrong password phrase").await;
        assert!(!response.text().await.unwrap().contains("expired"), "a wrong password learns nothing");
        let failed = entries(&app, "sign_in.failed").await;
        assert!(failed.iter().any(|e| e.details == "temporary password expired"));
        // An administrator changing their own password in Modify keeps it.
        let own = [("display_name", "A"), ("level", "company"), ("team", ""), ("enabled", "on"), ("new_password", "admin chose this one")];
        let mut own = own.to_vec();
        own.extend(["manage_users", "manage_teams", "recordings", "audit_log", "manage_company_mfa", "manage_own_mfa"].map(|r| ("roles", r)));
        assert_eq!(admin.post(&format!("/users/{}", seed.acme_admin.id), &own).await.status(), 303);
        let me = app.store.user(seed.acme_admin.id).await.unwrap().unwrap();
        assert_eq!(me.password_life, PasswordLife::Permanent);
    }
}
