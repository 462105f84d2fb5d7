//! The Companies page (issue 11): Global users list, search, add, rename,
//! disable and enable companies; a disabled company's users cannot sign
//! in and its API tokens stop working, until it is enabled again.

use crate::harness::*;
use crate::recordings::{token_for, upload, wav};
use callrec_store::{backend_tests, AuditQuery};
use serde_json::json;

backend_tests! {
    async fn companies_are_listed_added_renamed_and_searched(db) {
        let app = spawn_app(db).await;
        app.seed().await;
        let root = app.as_user("root").await;
        let (status, page) = root.get_text("/companies").await;
        assert_eq!(status, 200);
        for name in ["Acme", "Globex", "Operator"] {
            assert!(page.contains(&format!("aria-label=\"Rename {name}\"")), "{name}");
        }
        assert!(!page.contains("aria-label=\"Disable Operator\""), "not one's own company");
        let (_, page) = root.get_text("/companies?q=GLOB").await;
        assert!(page.contains("Rename Globex") && !page.contains("Rename Acme"));
        let (_, page) = root.get_text("/companies?q=nothing%25like").await;
        assert!(page.contains("No companies match"));

        for (name, message) in [("  ", "Company name is required"), ("ACME", "already exists")] {
            let (status, page) = root.post_text("/companies", &[("name", name)]).await;
            assert_eq!(status, 422, "{name:?}");
            assert!(page.contains(message), "{message}");
        }
        let response = root.post("/companies", &[("name", "Initech")]).await;
        assert_eq!(location(&response), "/companies?done=company-saved");
        let initech = app.store.company_by_name("initech").await.unwrap().unwrap();
        let (status, page) = root.post_text(&format!("/companies/{}/rename", initech.id), &[("name", "globex")]).await;
        assert_eq!(status, 422);
        assert!(page.contains("already exists"));
        root.post(&format!("/companies/{}/rename", initech.id), &[("name", "Initech Ltd")]).await;
        assert_eq!(app.store.company(initech.id).await.unwrap().unwrap().name, "Initech Ltd");
        let actions: Vec<String> = app.store.audit_entries(&AuditQuery { limit: 50, ..AuditQuery::default() }).await.unwrap()
            .into_iter().map(|e| e.action).collect();
        assert!(actions.contains(&"company.created".to_string()) && actions.contains(&"company.renamed".to_string()));
    }

    async fn a_disabled_company_cannot_sign_in_or_ingest(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let token = token_for(&app, &seed.acme, "pbx").await;
        let metadata = || json!({"started_at": "2026-11-20T09:30:00Z", "direction": "inbound", "from": "+442079460123", "to": "2001", "username": "acme.agent"});
        let agent = app.as_user("acme.agent").await;
        let root = app.as_user("root").await;
        let operator = app.store.company_by_name("Operator").await.unwrap().unwrap();
        let (status, _) = root.post_text(&format!("/companies/{}/status", operator.id), &[("enabled", "0")]).await;
        assert_eq!(status, 422, "not one's own company");

        // Disable names what it ends and wants the company's name typed.
        let (status, page) = root.get_text(&format!("/companies?disable={}", seed.acme.id)).await;
        assert_eq!(status, 200);
        assert!(page.contains("Disable Acme?") && page.contains("acme.agent") && page.contains("API tokens (1):</strong> pbx"), "{page}");
        assert!(page.contains(r#"<label for="disable-company-name">Type Acme to confirm</label>"#), "{page}");
        let path = format!("/companies/{}/status", seed.acme.id);
        for typed in ["", "acme", "Acme Telecom"] {
            let (status, page) = root.post_text(&path, &[("enabled", "0"), ("confirm_name", typed)]).await;
            assert_eq!(status, 422, "{typed:?}");
            assert!(page.contains("name exactly as shown to disable it."), "{page}");
        }
        assert!(app.store.company(seed.acme.id).await.unwrap().unwrap().enabled, "nothing on a wrong name");
        assert_eq!(agent.get("/recordings").await.status(), 200, "and no session ended");
        let response = root.post(&path, &[("enabled", "0"), ("confirm_name", "Acme")]).await;
        assert_eq!(response.status(), 303);
        assert_eq!(location(&agent.get("/recordings").await), "/login", "sessions end at once");
        assert_eq!(app.browser().login("acme.agent", PASSWORD).await.status(), 401);
        let (status, _) = upload(&app, &token, metadata(), wav(800), "call.wav").await;
        assert_eq!(status, 401, "its tokens stop working");
        assert_eq!(app.browser().login("globex.agent", PASSWORD).await.status(), 303, "other companies go on");

        root.post(&format!("/companies/{}/status", seed.acme.id), &[("enabled", "1")]).await;
        assert_eq!(app.browser().login("acme.agent", PASSWORD).await.status(), 303);
        let (status, body) = upload(&app, &token, metadata(), wav(800), "call.wav").await;
        assert_eq!(status, 201, "{body}");
        let disabled = app.store.audit_entries(&AuditQuery { action: Some("company.disabled".into()), limit: 5, ..AuditQuery::default() }).await.unwrap();
        assert!(disabled[0].details.ends_with("sessions ended"), "{}", disabled[0].details);
    }
}
