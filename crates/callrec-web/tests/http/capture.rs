//! Company settings → Call capture (issue 27): a company's administrators
//! add and remove the SBCs whose calls the recording server takes; a
//! Global user picks the company; another company's sources are not
//! found; bad addresses are refused with what to type; every change is
//! audited.

use crate::harness::*;
use crate::recordings::{token_for, upload, wav};
use callrec_store::{backend_tests, AuditQuery};
use serde_json::json;

backend_tests! {
    async fn recording_sources_are_the_companys_own(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let admin = app.as_user("acme.admin").await;
        let (status, page) = admin.get_text("/company-settings").await;
        assert_eq!(status, 200);
        assert!(page.contains("<h2 id=\"capture-title\">Call capture</h2>"));
        assert!(page.contains("No recording sources yet"));

        let response = admin.post("/company-settings/capture", &[("change", "add"), ("address", "192.0.2.10"), ("name", "London SBC")]).await;
        assert_eq!(location(&response), "/company-settings?done=source-added#capture-title");
        let response = admin.post("/company-settings/capture", &[("change", "add"), ("address", "198.51.100.7/28"), ("name", "")]).await;
        assert_eq!(location(&response), "/company-settings?done=source-added#capture-title");
        let (_, page) = admin.get_text("/company-settings?done=source-added").await;
        assert!(page.contains("Recording source added"));
        assert!(page.contains("aria-label=\"Remove source London SBC\""), "{page}");
        assert!(page.contains("<code>198.51.100.0/28</code>"), "written as its network");
        assert!(page.contains("aria-label=\"Remove source 198.51.100.0/28\""), "named by its address");

        for (address, message) in [
            ("192.0.2.10", "has 192.0.2.10/32 as a recording source already"),
            ("not an address", "is not an IP address or a CIDR range"),
            ("0.0.0.0/0", "too wide"),
            ("", "is not an IP address"),
        ] {
            let (status, page) = admin.post_text("/company-settings/capture", &[("change", "add"), ("address", address), ("name", "Typed name")]).await;
            assert_eq!(status, 422, "{address:?}");
            // The settings page again: the reason beside Add source, what was typed kept.
            let section = &page[page.find("id=\"capture-title\"").expect("the Call capture section")..];
            assert!(section.contains("role=\"alert\"") && section.contains(message), "{address:?}: {message}");
            assert!(section.contains(&format!("value=\"{address}\"")) && section.contains("value=\"Typed name\""));
        }

        let sources = app.store.capture_sources(Some(seed.acme.id)).await.unwrap();
        assert_eq!(sources.len(), 2);
        let london = sources.iter().find(|s| s.name == "London SBC").unwrap().id.to_string();
        // Another company's administrator, and an agent: not found.
        let globex = app.as_user("globex.admin").await;
        assert_eq!(globex.post("/company-settings/capture", &[("change", "remove"), ("source_id", &london)]).await.status(), 404);
        assert_eq!(app.as_user("acme.agent").await.post("/company-settings/capture", &[("change", "add"), ("address", "203.0.113.9")]).await.status(), 404);
        // A Global user picks the company.
        let root = app.as_user("root").await;
        let globex_id = seed.globex.id.to_string();
        let response = root.post("/company-settings/capture", &[("company", &globex_id), ("change", "add"), ("address", "203.0.113.9")]).await;
        assert_eq!(location(&response), format!("/company-settings?company={globex_id}&done=source-added#capture-title"));
        assert_eq!(app.store.capture_sources(Some(seed.globex.id)).await.unwrap().len(), 1);

        // Globex's administrator cannot claim Acme's SBC (nor a range
        // holding it); the operator can share one between companies.
        let (status, page) = globex.post_text("/company-settings/capture", &[("change", "add"), ("address", "192.0.2.0/24")]).await;
        assert_eq!(status, 422);
        assert!(page.contains("overlaps 192.0.2.10/32 used by another company"), "{page}");
        let response = root.post("/company-settings/capture", &[("company", &globex_id), ("change", "add"), ("address", "192.0.2.10")]).await;
        assert!(location(&response).contains("done=source-added"));
        let response = admin.post("/company-settings/capture", &[("change", "remove"), ("source_id", &london)]).await;
        assert_eq!(location(&response), "/company-settings?done=source-removed#capture-title");
        assert_eq!(admin.post("/company-settings/capture", &[("change", "remove"), ("source_id", &london)]).await.status(), 404);
        let added = app.store.audit_entries(&AuditQuery { action: Some("capture.source_added".into()), limit: 10, ..Default::default() }).await.unwrap();
        let removed = app.store.audit_entries(&AuditQuery { action: Some("capture.source_removed".into()), limit: 10, ..Default::default() }).await.unwrap();
        assert_eq!((added.len(), removed.len()), (4, 1));
        assert!(removed[0].details.contains("London SBC") && removed[0].details.contains("192.0.2.10/32"));
    }
}

backend_tests! {
    async fn what_the_phone_system_marked_is_on_the_recordings_page(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let token = token_for(&app, &seed.acme, "pbx").await;
        let meta = json!({"started_at": "2026-12-07T10:00:00Z", "direction": "inbound", "from": "+15551230001", "to": "2001"});
        let (status, body) = upload(&app, &token, meta, wav(8000 * 60), "call.wav").await;
        assert_eq!(status, 201, "{body}");
        let id = body["id"].as_str().unwrap().to_string();
        let admin = app.as_user("acme.admin").await;
        let (_, page) = admin.get_text(&format!("/recordings/{id}")).await;
        assert!(!page.contains("Marked by the phone system") && !page.contains("Incomplete"), "an upload has no marks");
        // Marks as the recording server writes them with a captured call.
        callrec_store::testing::execute(&app.store, &format!(
            "INSERT INTO recording_marks (recording_id, kind, start_ms, end_ms) VALUES \
             ('{id}', 'paused', 12000, 45500), ('{id}', 'key_press', 30000, 30000), ('{id}', 'incomplete', 59000, 59000)"
        )).await.unwrap();
        let (_, page) = admin.get_text(&format!("/recordings/{id}")).await;
        assert!(page.contains("<span class=\"badge warning\">Incomplete</span>"), "{page}");
        assert!(page.contains("data-span-from=\"12\" data-span-to=\"45.5\""), "the pause is shaded on the waveform");
        assert!(page.contains("0:12–0:45") && page.contains("Paused by the phone system"));
        assert!(page.contains("0:30") && page.contains("Key pressed (digits not recorded)"));
        // The API says the same.
        let detail: serde_json::Value = reqwest::Client::new()
            .get(format!("{}/api/v1/recordings/{id}", app.address))
            .bearer_auth(crate::recordings::token_with(&app, &seed.acme, "reader", "recordings:read").await)
            .send().await.unwrap().json().await.unwrap();
        assert_eq!(detail["marks"], json!([
            {"kind": "paused", "start_ms": 12000, "end_ms": 45500},
            {"kind": "key_press", "start_ms": 30000, "end_ms": 30000},
            {"kind": "incomplete", "start_ms": 59000, "end_ms": 59000},
        ]));
    }
}

backend_tests! {
    async fn numbers_are_the_companys_own_and_never_another_companys(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let admin = app.as_user("acme.admin").await;
        let root = app.as_user("root").await;
        let (acme_id, globex_id) = (seed.acme.id.to_string(), seed.globex.id.to_string());
        let (_, page) = admin.get_text("/company-settings").await;
        assert!(page.contains("<h2 id=\"numbers-title\">Numbers</h2>") && page.contains("No numbers yet"));
        assert!(page.contains("Phone numbers are given to Acme by the portal"));

        // Phone numbers route a shared SBC's calls: the operator gives them.
        let (status, page) = admin.post_text("/company-settings/numbers", &[("change", "add"), ("first", "+44 20 7946 0000"), ("last", "+44 20 7946 0999")]).await;
        assert_eq!(status, 422);
        assert!(page.contains("given to a company by the portal"), "{page}");
        for (first, last) in [("+44 20 7946 0000", "+44 20 7946 0999"), ("020 7946 1234", "")] {
            let response = root.post("/company-settings/numbers", &[("company", &acme_id), ("change", "add"), ("first", first), ("last", last)]).await;
            assert_eq!(location(&response), format!("/company-settings?company={acme_id}&done=numbers-added#numbers-title"), "{first}");
        }
        // Extensions are the company's own.
        let response = admin.post("/company-settings/numbers", &[("change", "add"), ("first", "200"), ("last", "299")]).await;
        assert_eq!(location(&response), "/company-settings?done=numbers-added#numbers-title");
        let (_, page) = admin.get_text("/company-settings?done=numbers-added").await;
        assert!(page.contains("Numbers added"));
        assert!(page.contains("<code>+442079460000 to +442079460999</code>") && page.contains("1000 numbers"), "{page}");
        assert!(page.contains("<code>200 to 299</code>") && page.contains("100 extensions"));
        assert!(page.contains("Set by the operator") && !page.contains("aria-label=\"Remove numbers +442079461234\""), "an administrator cannot remove the operator's numbers");
        assert!(page.contains("aria-label=\"Remove numbers 200 to 299\""));

        for (who, first, last, message) in [
            (&root, "+44 20 7946 0500", "", "overlaps +442079460000 to +442079460999, which Acme has already"),
            (&admin, "250", "", "overlaps 200 to 299"),
            (&admin, "banana", "", "is not a phone number"),
            (&admin, "", "", "is required"),
            (&admin, "300", "+44 20 7946 0000", "same kind"),
            (&admin, "399", "300", "must not come before"),
            (&root, "+44 20 7900 0000", "+44 20 7999 9999", "at most 100000"),
        ] {
            let (status, page) = who.post_text("/company-settings/numbers", &[("company", &acme_id), ("change", "add"), ("first", first), ("last", last)]).await;
            assert_eq!(status, 422, "{first:?}");
            let section = &page[page.find("id=\"numbers-title\"").expect("the Numbers section")..];
            assert!(section.contains("role=\"alert\"") && section.contains(message), "{first:?}: {message}");
            assert!(section.contains(&format!("value=\"{first}\"")), "what was typed is kept");
        }

        // Globex may have the same extensions, never Acme's phone numbers
        // (and the refusal does not name Acme's).
        let globex = app.as_user("globex.admin").await;
        let response = globex.post("/company-settings/numbers", &[("change", "add"), ("first", "200"), ("last", "299")]).await;
        assert!(location(&response).contains("done=numbers-added"));
        let (status, page) = root.post_text("/company-settings/numbers", &[("company", &globex_id), ("change", "add"), ("first", "+44 20 7946 0990"), ("last", "+44 20 7946 1990")]).await;
        assert_eq!(status, 422);
        assert!(page.contains("includes numbers another company has") && !page.contains("+442079460000 to"), "{page}");
        let held = app.store.company_numbers(Some(seed.acme.id)).await.unwrap();
        let acme_block = held.iter().find(|n| n.range.count() == 1000).unwrap().id.to_string();
        let acme_extensions = held.iter().find(|n| n.range.count() == 100).unwrap().id.to_string();
        assert_eq!(globex.post("/company-settings/numbers", &[("change", "remove"), ("numbers_id", &acme_extensions)]).await.status(), 404);
        assert_eq!(admin.post("/company-settings/numbers", &[("change", "remove"), ("numbers_id", &acme_block)]).await.status(), 404, "the operator's");
        assert_eq!(app.as_user("acme.agent").await.post("/company-settings/numbers", &[("change", "add"), ("first", "555")]).await.status(), 404);

        let response = admin.post("/company-settings/numbers", &[("change", "remove"), ("numbers_id", &acme_extensions)]).await;
        assert_eq!(location(&response), "/company-settings?done=numbers-removed#numbers-title");
        assert_eq!(admin.post("/company-settings/numbers", &[("change", "remove"), ("numbers_id", &acme_extensions)]).await.status(), 404);
        let response = root.post("/company-settings/numbers", &[("company", &acme_id), ("change", "remove"), ("numbers_id", &acme_block)]).await;
        assert!(location(&response).contains("done=numbers-removed"));
        let entries = |action: &str| {
            let query = AuditQuery { action: Some(action.into()), limit: 20, ..Default::default() };
            let store = app.store.clone();
            async move { store.audit_entries(&query).await.unwrap() }
        };
        let (added, removed) = (entries("company.numbers_added").await, entries("company.numbers_removed").await);
        assert_eq!((added.len(), removed.len()), (4, 2));
        assert!(removed.iter().any(|e| e.details.contains("+442079460000 to +442079460999 (1000 numbers)")), "{removed:?}");
    }
}

backend_tests! {
    async fn a_source_may_be_given_sip_credentials_kept_sealed(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let admin = app.as_user("acme.admin").await;
        for (username, password, message) in [
            ("sbc-london", "short", "must be 16 to 128 characters"),
            ("", "a long random secret", "must be 1 to 64"),
            ("with space", "a long random secret", "must be 1 to 64"),
        ] {
            let (status, page) = admin.post_text("/company-settings/capture", &[("change", "add"), ("address", "192.0.2.20"), ("sip_username", username), ("sip_password", password)]).await;
            assert_eq!(status, 422, "{username:?}");
            let section = &page[page.find("id=\"capture-title\"").unwrap()..];
            assert!(section.contains(message), "{username:?}: {message}");
            assert!(section.contains(&format!("value=\"{username}\"")), "the username is kept");
            assert!(!section.contains(password) || password.is_empty(), "never the password");
        }
        assert!(app.store.capture_sources(Some(seed.acme.id)).await.unwrap().is_empty(), "nothing half-written");
        let response = admin.post("/company-settings/capture", &[("change", "add"), ("address", "192.0.2.20"), ("name", "London SBC"), ("sip_username", "sbc-london"), ("sip_password", "a long random secret")]).await;
        assert!(location(&response).contains("done=source-added"));
        let (_, page) = admin.get_text("/company-settings").await;
        assert!(page.contains("Digest as <code>sbc-london</code>"), "{page}");
        assert!(!page.contains("a long random secret"));
        let source = &app.store.capture_sources(Some(seed.acme.id)).await.unwrap()[0];
        let (username, sealed) = source.credentials.clone().unwrap();
        assert_eq!(username, "sbc-london");
        assert!(sealed.starts_with("v1.") && !sealed.contains("random"));
        let added = app.store.audit_entries(&AuditQuery { action: Some("capture.source_added".into()), limit: 10, ..Default::default() }).await.unwrap();
        assert!(added[0].details.contains("digest user \"sbc-london\"") && !added[0].details.contains("random"), "{:?}", added[0]);
        // Without credentials: address only.
        admin.post("/company-settings/capture", &[("change", "add"), ("address", "192.0.2.21")]).await;
        let (_, page) = admin.get_text("/company-settings").await;
        assert!(page.contains("Address only"));
    }
}
