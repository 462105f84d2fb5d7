//! Finding calls (issue 26): numbers as people type them, read in the
//! company's country; the Phone number box for either party, on the page
//! and the API; filters that do not parse list nothing and say so beside
//! the field; date presets in the viewer's zone on a clock the test moves.

use crate::api::get;
use crate::harness::*;
use crate::recordings::{token_for, token_with, upload, wav};
use callrec_app::Clock;
use callrec_store::backend_tests;
use serde_json::json;

/// Uploads a call of acme.agent from `from` to `to` at `utc`.
async fn call(app: &TestApp, token: &str, utc: &str, from: &str, to: &str) {
    let metadata = json!({"started_at": utc, "direction": "inbound", "from": from, "to": to, "username": "acme.agent"});
    let (status, body) = upload(app, token, metadata, wav(800), "call.wav").await;
    assert_eq!(status, 201, "{body}");
}

/// Rows a Recordings page lists.
fn rows(page: &str) -> usize {
    page.matches(" data-play=").count()
}

fn encoded(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

backend_tests! {
    async fn numbers_as_people_type_them_find_the_call(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let token = token_for(&app, &seed.acme, "pbx").await;
        call(&app, &token, "2026-11-20T09:30:00Z", "+447700900123", "2001").await;
        call(&app, &token, "2026-11-20T10:30:00Z", "+12025550100", "+442079460000").await;
        call(&app, &token, "2026-11-20T11:30:00Z", "07700900999", "2002").await;
        let admin = app.as_user("acme.admin").await;
        let find = |number: &str| {
            let (admin, path) = (&admin, format!("/recordings?number={}", encoded(number)));
            async move {
                let (status, page) = admin.get_text(&path).await;
                assert_eq!(status, 200, "{path}");
                rows(&page)
            }
        };
        for typed in ["07700 900123", "+44 7700 900123", "0044 7700 900123", "7700900123", "(07700) 900-123", "07700.900.123"] {
            assert_eq!(find(typed).await, 1, "{typed}");
        }
        assert_eq!(find("(020) 7946 0000").await, 1, "the called party");
        assert_eq!(find("07700 900999").await, 1, "a number stored the national way");
        assert_eq!(find("2001").await, 1, "an extension as typed");
        assert_eq!(find("07700").await, 2, "part of a number");
        assert_eq!(find("+1 202 555 0100").await, 1, "another country's number");
        let (_, page) = admin.get_text(&format!("/recordings?calling_number={}", encoded("+44 7700 900123"))).await;
        assert_eq!(rows(&page), 1);
        let (_, page) = admin.get_text(&format!("/recordings?called_number={}", encoded("+44 7700 900123"))).await;
        assert_eq!(rows(&page), 0, "More filters keep to their party");

        // The API reads the same, in the token's company.
        let reader = token_with(&app, &seed.acme, "reader", "recordings:read").await;
        let (status, body) = get(&app.address, &reader, &format!("/api/v1/recordings?number={}", encoded("07700 900123"))).await;
        assert_eq!((status, body["items"].as_array().map(Vec::len)), (200, Some(1)), "{body}");
        assert_eq!(body["items"][0]["calling_number"], "+447700900123");
        let (status, body) = get(&app.address, &reader, "/api/v1/recordings?calling_number=07700900123").await;
        assert_eq!((status, body["items"].as_array().map(Vec::len)), (200, Some(1)), "{body}");
        for bad in ["abc", "12%2B3", "%2B"] {
            let (status, body) = get(&app.address, &reader, &format!("/api/v1/recordings?number={bad}")).await;
            assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_parameters")), "{bad}: {body}");
            assert_eq!(body["error"]["fields"][0]["field"], "number", "{body}");
        }

        // Company settings → Country for phone numbers.
        let (_, settings) = admin.get_text("/company-settings").await;
        assert!(settings.contains(">Country for phone numbers</label>"));
        assert!(settings.contains(r#"<option value="" selected>Portal default (United Kingdom"#), "GB by default");
        let (status, refused) = admin.post_text("/company-settings", &[("phone_country", "XX")]).await;
        assert_eq!(status, 422);
        assert!(refused.contains("Choose the country for phone numbers from the list."));
        let response = admin.post("/company-settings", &[("phone_country", "US")]).await;
        assert_eq!(location(&response), "/company-settings?done=settings-saved");
        assert_eq!(find("(202) 555-0100").await, 1, "a US national number in a US company");
        let acme = app.store.company(seed.acme.id).await.unwrap().unwrap();
        assert_eq!(acme.phone_country.as_deref(), Some("US"));
        let entries = app.store.audit_entries(&callrec_store::AuditQuery { action: Some("company.settings_changed".into()), limit: 5, ..Default::default() }).await.unwrap();
        assert_eq!(entries[0].details, "country for phone numbers the default → US");
    }

    async fn a_filter_that_does_not_parse_lists_nothing_and_says_where(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let token = token_for(&app, &seed.acme, "pbx").await;
        call(&app, &token, "2026-11-20T09:30:00Z", "+447700900123", "2001").await;
        let admin = app.as_user("acme.admin").await;
        let (_, all) = admin.get_text("/recordings").await;
        assert_eq!(rows(&all), 1);
        for (query, field, said) in [
            ("number=call+me", "f-number", "Phone number must be digits"),
            ("calling_number=0770O", "f-calling", "Calling Number must be digits"),
            ("period=custom&start=2026-11-20T10%3A00&end=2026-11-20T09%3A00", "f-end", "End Date/Time must be after Start Date/Time."),
            ("start=last+tuesday", "f-start", "Start Date/Time must be a date and time"),
            ("period=fortnight", "f-period", "Choose a date"),
        ] {
            let (status, page) = admin.get_text(&format!("/recordings?{query}")).await;
            assert_eq!(status, 200, "{query}");
            assert_eq!(rows(&page), 0, "{query}: nothing listed");
            assert!(page.contains("There is a problem") && page.contains(&format!("href=\"#{field}\"")), "{query}");
            assert!(page.contains(said), "{query}: {said}");
            assert!(page.contains("Nothing is listed until the filters are corrected"), "{query}");
            if field != "f-period" {
                assert!(page.contains(&format!("id=\"{field}\"")) && page.contains(&format!("{field}-error")), "{query}");
                assert!(page.contains("aria-invalid=\"true\""), "{query}");
            }
        }
        // Bulk work on such a search is refused on the page, not done on everything.
        for path in ["/recordings/download", "/recordings/holds"] {
            let (status, page) = admin.post_text(path, &[("take", "search"), ("change", "place"), ("reason", "Case 1"), ("number", "call me")]).await;
            assert_eq!(status, 422, "{path}");
            assert!(page.contains("There is a problem") && page.contains("Phone number must be digits") && rows(&page) == 0, "{path}");
        }
        let everything = callrec_store::RecordingQuery::first_page(callrec_domain::permissions::DataScope::Everything, 50);
        assert_eq!(app.store.count_matching(&everything).await.unwrap(), (1, 0), "nothing held");
    }

    async fn date_presets_are_days_in_the_viewers_zone(db) {
        // 2026-11-21 10:00 UTC.
        let clock = Clock::manual(1_795_255_200);
        let app = spawn_app_on(db, test_config(), clock).await;
        let seed = app.seed().await;
        let token = token_for(&app, &seed.acme, "pbx").await;
        for utc in [
            "2026-11-21T08:00:00Z",
            "2026-11-20T09:30:00Z",
            // 01:30 on the 21st in Helsinki.
            "2026-11-20T23:30:00Z",
            "2026-11-15T12:00:00Z",
            "2026-10-30T12:00:00Z",
            "2026-10-01T12:00:00Z",
        ] {
            call(&app, &token, utc, "+447700900123", "2001").await;
        }
        let admin = app.as_user("acme.admin").await;
        let count = |period: &str| {
            let (admin, path) = (&admin, format!("/recordings?period={period}"));
            async move { rows(&admin.get_text(&path).await.1) }
        };
        assert_eq!([count("today").await, count("yesterday").await, count("7d").await, count("30d").await, count("").await], [1, 2, 4, 5, 6]);
        let (_, page) = admin.get_text("/recordings?period=yesterday").await;
        assert!(page.contains(r#"value="yesterday" checked"#), "the preset stays chosen");
        assert!(page.contains("data-custom-dates hidden"), "Custom's fields are folded away");
        let response = admin.post("/company-settings", &[("time_zone", "Europe/Helsinki")]).await;
        assert_eq!(location(&response), "/company-settings?done=settings-saved");
        assert_eq!([count("today").await, count("yesterday").await], [2, 1]);
        // Dates typed without a preset are Custom.
        let (_, page) = admin.get_text("/recordings?start=2026-11-15").await;
        assert!(page.contains(r#"value="custom" checked"#) && !page.contains("data-custom-dates hidden"));
        assert_eq!(rows(&page), 4);
    }
}
