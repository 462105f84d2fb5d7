//! The API tokens page over HTTP on both engines: who may use it, a token
//! shown once and never cached, the form's errors writing nothing, Global
//! users choosing the company, revoking in reach only, and the audit.

use crate::harness::*;
use callrec_domain::{Level, Role};
use callrec_store::{backend_tests, AuditQuery, TokenState};

/// The token on the answer to Create.
fn shown_token(page: &str) -> String {
    let start = page.find("crt_").expect("the token is shown");
    page[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect()
}

async fn api_status(app: &TestApp, token: &str, path: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{}{path}", app.address))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

backend_tests! {
    /// A session whose sign-in is minutes old makes a token only after
    /// "Confirm it's you", and the same for adding a user: a stolen cookie
    /// alone creates no access that outlives it (security review, wave 2,
    /// item 3). The form comes back as typed.
    async fn tokens_and_new_users_need_presence(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let admin = app.as_unconfirmed_user("acme.admin").await;
        let form = [("name", "Stolen"), ("scope", "recordings:read"), ("scope", "recordings:download")];
        let (status, page) = admin.post_text("/api-tokens", &form).await;
        assert_eq!(status, 200);
        assert!(page.contains("Confirm it's you") && page.contains(r#"name="scope" value="recordings:download""#), "{page}");
        assert!(!page.contains("crt_"));
        let (status, _) = admin.post_text("/api-tokens", &[form[0], form[1], form[2], ("confirming", "1"), ("proof", "guess")]).await;
        assert_eq!(status, 422);
        assert!(app.store.list_api_tokens(Some(seed.acme.id)).await.unwrap().is_empty(), "no token without proof");
        let (status, page) = admin.post_text("/api-tokens", &[form[0], form[1], form[2], ("confirming", "1"), ("proof", PASSWORD)]).await;
        assert_eq!(status, 200);
        assert!(!shown_token(&page).is_empty());
        assert!(app.store.list_api_tokens(Some(seed.acme.id)).await.unwrap()[0].scopes.to_string().contains("recordings:download"));
        // Confirmed a moment ago: the next change does not ask again.
        let (status, _) = admin.post_text("/users", &[("username", "new.agent"), ("display_name", "New"), ("level", "staff"), ("team", &seed.sales.id.to_string()), ("password", "a long pass phrase"), ("roles", "recordings")]).await;
        assert_eq!(status, 303);
        // Another session, minutes old: adding a user asks.
        let other = app.as_unconfirmed_user("acme.admin").await;
        let (status, page) = other.post_text("/users", &[("username", "second.agent"), ("display_name", "Second"), ("level", "staff"), ("team", &seed.sales.id.to_string()), ("password", "a long pass phrase")]).await;
        assert_eq!(status, 200);
        assert!(page.contains("You are adding a user or giving one more access."), "{page}");
        assert!(app.store.user_by_username("second.agent").await.unwrap().is_none());
        // Moving a user to another team's calls, or setting their password,
        // asks too (a review of this change found them unasked).
        let support = seed.acme_support.id;
        let sales = seed.sales.id.to_string();
        for extra in [("team", sales.as_str()), ("new_password", "a phrase of the attacker")] {
            let mut form = vec![("display_name", "acme.support"), ("level", "staff"), ("team", ""), ("enabled", "on")];
            let support_team = seed.support.id.to_string();
            form[2].1 = if extra.0 == "team" { extra.1 } else { support_team.as_str() };
            if extra.0 == "new_password" {
                form.push(extra);
            }
            let (status, page) = other.post_text(&format!("/users/{support}"), &form).await;
            assert_eq!(status, 200, "{extra:?}");
            assert!(page.contains("Confirm it's you"), "{extra:?}: {page}");
        }
        let unchanged = app.store.user(support).await.unwrap().unwrap();
        assert_eq!(unchanged.team_id, Some(seed.support.id));
    }

    async fn a_company_administrator_creates_a_token_shown_once(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let admin = app.as_user("acme.admin").await;
        let (status, page) = admin.get_text("/api-tokens").await;
        assert_eq!(status, 200);
        assert!(page.contains("No API tokens yet"), "an empty state");
        let response = admin
            .post("/api-tokens", &[("name", "CRM sync"), ("scope", "recordings:read"), ("scope", "audit:read"), ("expires_in_days", "30")])
            .await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["cache-control"], "no-store", "the token is never cached");
        let page = response.text().await.unwrap();
        let token = shown_token(&page);
        assert_eq!(token.len(), 47, "{token}");
        assert_eq!(api_status(&app, &token, "/api/v1/audit").await, 200);
        assert_eq!(api_status(&app, &token, "/api/v1/users").await, 404, "only its scopes");
        let (_, list) = admin.get_text("/api-tokens").await;
        assert!(!list.contains(&token), "listed, never shown again");
        assert!(list.contains("CRM sync") && list.contains("recordings:read, audit:read") && list.contains("by acme.admin"), "{list}");
        let stored = &app.store.list_api_tokens(Some(seed.acme.id)).await.unwrap()[0];
        assert_eq!(stored.expires_at, Some(stored.created_at + 30 * 86_400));
        let created = app.store.audit_entries(&AuditQuery { action: Some("token.created".into()), limit: 5, ..AuditQuery::default() }).await.unwrap();
        assert_eq!((created[0].actor_name.as_deref(), created[0].target.as_deref()), (Some("acme.admin"), Some("CRM sync")));
        assert!(created[0].details.contains("recordings:read,audit:read") && created[0].details.contains("30 days"), "{}", created[0].details);
    }

    async fn bad_forms_say_why_and_write_nothing(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let admin = app.as_user("acme.admin").await;
        for (form, message) in [
            (vec![("name", ""), ("scope", "ingest")], "Token name is required"),
            (vec![("name", "pbx")], "Choose at least one scope"),
            (vec![("name", "pbx"), ("scope", "admin")], "Unknown scope"),
            (vec![("name", "pbx"), ("scope", "ingest"), ("expires_in_days", "0")], "whole number from 1 to 1826"),
            (vec![("name", "pbx"), ("scope", "ingest"), ("expires_in_days", "soon")], "whole number from 1 to 1826"),
        ] {
            let (status, page) = admin.post_text("/api-tokens", &form).await;
            assert_eq!(status, 422, "{form:?}");
            assert!(page.contains(message) && !page.contains("crt_"), "{form:?}: {message}");
        }
        assert!(app.store.list_api_tokens(None).await.unwrap().is_empty(), "nothing written");
        assert_eq!(admin.post("/api-tokens", &[("name", "pbx"), ("scope", "ingest")]).await.status(), 200);
        assert_eq!(admin.post("/api-tokens", &[("name", "PBX "), ("scope", "audit:read")]).await.status(), 200, "another name");
        let (status, page) = admin.post_text("/api-tokens", &[("name", "pbx"), ("scope", "audit:read")]).await;
        assert_eq!(status, 422);
        assert!(page.contains("already has a token with that name"));
        let names: Vec<String> = app.store.list_api_tokens(Some(seed.acme.id)).await.unwrap().into_iter().map(|t| t.name).collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(names.contains(&"PBX".to_string()), "trimmed: {names:?}");
    }

    async fn global_users_choose_the_company_and_others_see_only_their_own(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let root = app.as_user("root").await;
        let (status, page) = root.post_text("/api-tokens", &[("name", "pbx"), ("scope", "ingest")]).await;
        assert_eq!((status, page.contains("Choose the company the token is for")), (422, true));
        let globex_id = seed.globex.id.0.to_string();
        assert_eq!(root.post("/api-tokens", &[("company", &globex_id), ("name", "pbx"), ("scope", "ingest")]).await.status(), 200);
        let globex_token = app.store.list_api_tokens(Some(seed.globex.id)).await.unwrap().remove(0);
        // Acme's administrator neither sees nor revokes it; a Company user cannot pick another company.
        let admin = app.as_user("acme.admin").await;
        let (_, list) = admin.get_text(&format!("/api-tokens?company={globex_id}")).await;
        assert!(list.contains("No API tokens yet"), "only Acme's tokens");
        assert_eq!(admin.get(&format!("/api-tokens?revoke={}", globex_token.id)).await.status(), 404);
        assert_eq!(admin.post(&format!("/api-tokens/{}/revoke", globex_token.id), &[]).await.status(), 404);
        assert_eq!(admin.post("/api-tokens", &[("company", &globex_id), ("name", "sneaky"), ("scope", "audit:read")]).await.status(), 200);
        assert!(app.store.list_api_tokens(Some(seed.globex.id)).await.unwrap().iter().all(|t| t.name != "sneaky"), "made for Acme, not Globex");
        assert!(app.store.list_api_tokens(Some(seed.acme.id)).await.unwrap().iter().any(|t| t.name == "sneaky"));
        // Team and Staff users have no such page.
        for username in ["acme.lead", "acme.agent"] {
            assert_eq!(app.as_user(username).await.get("/api-tokens").await.status(), 404, "{username}");
        }
        // The operator revokes Globex's token; the audit names them.
        let (status, page) = root.get_text(&format!("/api-tokens?company={globex_id}&revoke={}", globex_token.id)).await;
        assert_eq!((status, page.contains("Revoke pbx?")), (200, true));
        let done = root.post(&format!("/api-tokens/{}/revoke", globex_token.id), &[("company", &globex_id)]).await;
        assert_eq!(location(&done), format!("/api-tokens?company={globex_id}&done=token-revoked"));
        let after = app.store.list_api_tokens(Some(seed.globex.id)).await.unwrap().remove(0);
        assert_eq!(after.state(app.clock.now()), TokenState::Revoked);
        let revoked = app.store.audit_entries(&AuditQuery { action: Some("token.revoked".into()), limit: 5, ..AuditQuery::default() }).await.unwrap();
        assert_eq!((revoked.len(), revoked[0].actor_name.as_deref(), revoked[0].company_id), (1, Some("root"), Some(seed.globex.id)));
    }

    async fn a_token_never_gets_more_than_its_maker(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        app.user(&seed.acme, None, "acme.hr", Level::Company, &[Role::ManageUsers]).await;
        let hr = app.as_user("acme.hr").await;
        let (_, page) = hr.get_text("/api-tokens?new=1").await;
        assert!(page.contains("Only for those who have this access themselves"), "the scopes they lack are marked");
        for scope in ["recordings:read", "recordings:download", "audit:read"] {
            let (status, page) = hr.post_text("/api-tokens", &[("name", "x"), ("scope", "ingest"), ("scope", scope)]).await;
            assert_eq!(status, 422, "{scope}");
            assert!(page.contains(&format!("{scope} needs Access to")), "{scope}: says which access");
        }
        assert!(app.store.list_api_tokens(None).await.unwrap().is_empty(), "nothing written");
        let (status, _) = hr.post_text("/api-tokens", &[("name", "pbx"), ("scope", "ingest"), ("scope", "directory:read")]).await;
        assert_eq!(status, 200, "sending recordings, and reading the users they manage");
    }
}
