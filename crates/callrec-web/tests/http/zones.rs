//! Time zones (issue 11): the company's zone (Company settings), a user's
//! own (My account), times shown and typed in it, across daylight saving.

use crate::harness::*;
use crate::recordings::{token_for, upload, wav};
use callrec_store::{backend_tests, AuditQuery};
use serde_json::json;

/// Uploads a call of acme.agent that started at `utc` (RFC 3339).
async fn call_at(app: &TestApp, token: &str, utc: &str, to: &str) {
    let metadata = json!({"started_at": utc, "direction": "inbound", "from": "+442079460123", "to": to, "username": "acme.agent"});
    let (status, body) = upload(app, token, metadata, wav(800), "call.wav").await;
    assert_eq!(status, 201, "{body}");
}

backend_tests! {
    async fn times_show_in_the_company_zone_or_the_users_own(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let token = token_for(&app, &seed.acme, "pbx").await;
        call_at(&app, &token, "2026-07-01T12:00:00Z", "2001").await;
        let admin = app.as_user("acme.admin").await;
        let (_, page) = admin.get_text("/recordings").await;
        assert!(page.contains("2026-07-01 12:00:00") && page.contains("Times are in UTC."), "the default");

        let (status, page) = admin.post_text("/company-settings", &[("time_zone", "Mars/Olympus")]).await;
        assert_eq!(status, 422);
        assert!(page.contains("Choose a time zone from the list"));
        let response = admin.post("/company-settings", &[("time_zone", "europe/london")]).await;
        assert_eq!(location(&response), "/company-settings?done=settings-saved");
        let (_, page) = admin.get_text("/company-settings").await;
        assert!(page.contains(r#"<option value="Europe/London" selected>"#));
        let (_, page) = admin.get_text("/recordings").await;
        assert!(page.contains("2026-07-01 13:00:00") && page.contains("Times are in Europe/London."), "BST");
        let agent = app.as_user("acme.agent").await;
        let (_, page) = agent.get_text("/recordings").await;
        assert!(page.contains("2026-07-01 13:00:00"), "the company's zone reaches its users");

        // Typed times are in the zone too: 12:30 London is 11:30 UTC.
        let (_, page) = admin.get_text("/recordings?start=2026-07-01T12:30").await;
        assert!(page.contains("2026-07-01 13:00:00"));
        let (_, page) = admin.get_text("/recordings?start=2026-07-01T13:30").await;
        assert!(!page.contains("2026-07-01 13:00:00"));

        // Under My account the agent chooses New York; others keep London.
        let response = agent.post("/my-account/time-zone", &[("time_zone", "America/New_York")]).await;
        assert_eq!(location(&response), "/my-account?done=time-zone-saved");
        let (_, page) = agent.get_text("/recordings").await;
        assert!(page.contains("2026-07-01 08:00:00") && page.contains("Times are in America/New_York."));
        let (_, page) = admin.get_text("/recordings").await;
        assert!(page.contains("2026-07-01 13:00:00"));
        let (_, page) = agent.get_text("/my-account").await;
        assert!(page.contains(r#"<option value="America/New_York" selected>"#));
        agent.post("/my-account/time-zone", &[("time_zone", "")]).await;
        let (_, page) = agent.get_text("/recordings").await;
        assert!(page.contains("2026-07-01 13:00:00"), "back to the company's");

        let changed = app.store.audit_entries(&AuditQuery { action: Some("company.settings_changed".into()), limit: 5, ..AuditQuery::default() }).await.unwrap();
        assert_eq!(changed[0].details, "time zone the default → Europe/London");
        let (_, report) = app.as_user("root").await.get_text("/reports").await;
        assert!(report.contains("Times are in UTC."), "the operator's own zone");
    }

    /// 01:30 on 2026-10-25 happens twice in London: a filter means the
    /// first; 01:30 on 2026-03-29 never happens: it means 02:30 BST.
    async fn filters_across_the_repeated_and_the_skipped_hour(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let token = token_for(&app, &seed.acme, "pbx").await;
        call_at(&app, &token, "2026-10-25T00:30:00Z", "*11").await; // 01:30 BST
        call_at(&app, &token, "2026-10-25T01:30:00Z", "*22").await; // 01:30 GMT
        call_at(&app, &token, "2026-03-29T01:00:00Z", "*33").await; // 02:00 BST
        call_at(&app, &token, "2026-03-29T01:45:00Z", "*44").await; // 02:45 BST
        let admin = app.as_user("acme.admin").await;
        admin.post("/company-settings", &[("time_zone", "Europe/London")]).await;
        let (_, page) = admin.get_text("/recordings?start=2026-10-25T01:30&end=2026-10-25T01:30").await;
        assert!(page.contains("*11") && !page.contains("*22"), "the first 01:30");
        let (_, page) = admin.get_text("/recordings?start=2026-10-25T01:31&end=2026-10-25T23:00").await;
        assert!(page.contains("*22") && !page.contains("*11"), "the second 01:30 comes after");
        let (_, page) = admin.get_text("/recordings?start=2026-03-29T01:30&end=2026-03-29T05:00").await;
        assert!(page.contains("*44") && !page.contains("*33"), "01:30 is 02:30 BST");
        assert_eq!(page.matches(">2026-10-25 01:30:00<").count(), 0);
        let (_, page) = admin.get_text("/recordings?start=2026-10-25T00:00&end=2026-10-25T23:00").await;
        assert_eq!(page.matches(">2026-10-25 01:30:00<").count(), 2, "both shown as 01:30, an hour apart");
    }
}
