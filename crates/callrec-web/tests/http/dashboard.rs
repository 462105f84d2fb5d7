//! The home dashboard over HTTP on both engines: every level gets its own
//! scope's figures, and each bar links to its day's search.

use crate::harness::*;
use crate::recordings::{token_with, upload, wav};
use callrec_app::Clock;
use callrec_domain::{Level, Role};
use callrec_store::backend_tests;
use serde_json::json;

backend_tests! {
    async fn each_level_sees_its_own_calls_and_links_to_the_search(db) {
        let app = spawn_app_on(db, test_config(), Clock::manual(1_800_000_000)).await;
        let seed = app.seed().await;
        let acme = token_with(&app, &seed.acme, "pbx", "ingest").await;
        let globex = token_with(&app, &seed.globex, "pbx", "ingest").await;
        let today = callrec_domain::time::format_utc(app.clock.now());
        let at = format!("{}T00:30:00Z", &today[..10]);
        for (token, user, direction) in [(&acme, "acme.agent", "inbound"), (&acme, "acme.agent", "outbound"), (&acme, "acme.support", "inbound"), (&globex, "globex.agent", "internal")] {
            let metadata = json!({"started_at": at, "direction": direction, "from": "111", "to": "222", "username": user});
            assert_eq!(upload(&app, token, metadata, wav(8000 * 90), "a.wav").await.0, 201);
        }
        let calls = |page: &str| page.split("stat-value\">").nth(1).and_then(|s| s.split('<').next()).unwrap().to_string();
        for (username, expected) in [("root", "4"), ("acme.admin", "3"), ("acme.agent", "2"), ("globex.admin", "1")] {
            let (status, page) = app.as_user(username).await.get_text("/home").await;
            assert_eq!(status, 200, "{username}");
            assert_eq!(calls(&page), expected, "{username}'s calls");
            assert!(page.contains("Calls per day") && page.contains("Busiest hours"), "{username}");
        }
        let (_, admin) = app.as_user("acme.admin").await.get_text("/home").await;
        let day = &today[..10];
        let link = format!("/recordings?start={day}T00%3A00&#38;end={day}T23%3A59&#38;direction=inbound");
        assert!(admin.contains(&link), "the inbound bar links to its search: {link}");
        assert!(admin.contains(&format!("{day}: 2 inbound calls")), "two inbound calls today");
        assert!(admin.contains("Busiest teams") && admin.contains(">acme.agent display</a>"), "busiest people, by name");
        assert!(admin.contains(">0:05</span><span class=\"stat-label\">hours recorded (h:mm)"), "three calls of 90 s as h:mm");
        assert!(admin.contains("Fewer calls") && admin.contains("More calls"), "the heat map's legend");
        assert!(admin.contains("MFA adoption"), "the MFA manager sees adoption");
        let (_, lead) = app.as_user("acme.lead").await.get_text("/home").await;
        assert!(lead.contains("Busiest people in your team"), "a Team user's ranking");
        // MFA adoption: as far as Company MFA reaches. The housekeeping notes
        // today's figures when the portal starts.
        app.store.note_mfa_adoption(&today[..10]).await.unwrap();
        app.clock.advance(60); // the figures shown above were taken a minute ago
        let (_, admin) = app.as_user("acme.admin").await.get_text("/home").await;
        let acme_users = app.store.list_users(&callrec_store::UserQuery { scope: callrec_domain::permissions::DataScope::Company(seed.acme.id), company: None, search: None, page: 0, per_page: 100 }).await.unwrap().total;
        assert!(admin.contains(&format!("0 of {acme_users}")), "Acme's own users: {acme_users}");
        let (_, root) = app.as_user("root").await.get_text("/home").await;
        let everyone = app.store.count_users().await.unwrap();
        assert!(root.contains(&format!("0 of {everyone}")), "an operator sees every company: {everyone}");
        app.user(&seed.acme, Some(&seed.sales), "acme.mfa", Level::Team, &[Role::Recordings, Role::ManageCompanyMfa]).await;
        let (_, team_level) = app.as_user("acme.mfa").await.get_text("/home").await;
        assert!(team_level.contains("Calls per day") && !team_level.contains("MFA adoption"), "Company MFA needs Company level");
        // Without Access to Recordings there is no dashboard: a greeting.
        let (status, page) = app.as_user("acme.support").await.get_text("/home").await;
        assert_eq!(status, 200);
        assert!(page.contains("Welcome") && !page.contains("Calls per day"), "{page}");
    }

    async fn figures_are_shared_for_a_minute_then_taken_again(db) {
        let app = spawn_app_on(db, test_config(), Clock::manual(1_800_000_000)).await;
        let seed = app.seed().await;
        let token = token_with(&app, &seed.acme, "pbx", "ingest").await;
        let today = callrec_domain::time::format_utc(app.clock.now());
        let send = |n: u32| {
            let metadata = json!({"started_at": format!("{}T00:{:02}:00Z", &today[..10], n), "direction": "inbound", "from": "111", "to": "222", "username": "acme.agent"});
            upload(&app, &token, metadata, wav(800), "a.wav")
        };
        assert_eq!(send(1).await.0, 201);
        let admin = app.as_user("acme.admin").await;
        let calls = |page: &str| page.split("stat-value\">").nth(1).and_then(|s| s.split('<').next()).unwrap().to_string();
        let (_, first) = admin.get_text("/home").await;
        assert_eq!(calls(&first), "1");
        assert_eq!(send(2).await.0, 201);
        app.clock.advance(59);
        let (_, again) = admin.get_text("/home").await;
        assert_eq!(calls(&again), "1", "the same minute's figures");
        let (_, other_view) = app.as_user("acme.agent").await.get_text("/home").await;
        assert_eq!(calls(&other_view), "2", "another scope takes its own");
        app.clock.advance(1);
        let (_, later) = admin.get_text("/home").await;
        assert_eq!(calls(&later), "2", "taken again after a minute");
        assert!(later.contains("Figures as of"), "the page says when");
    }

    async fn a_period_is_compared_with_the_one_before(db) {
        // 2026-11-21 10:00 UTC.
        let app = spawn_app_on(db, test_config(), Clock::manual(1_795_255_200)).await;
        let seed = app.seed().await;
        let acme = token_with(&app, &seed.acme, "pbx", "ingest").await;
        for at in ["2026-11-21T08:00:00Z", "2026-11-21T09:00:00Z", "2026-11-20T12:00:00Z", "2026-11-19T12:00:00Z"] {
            let metadata = json!({"started_at": at, "direction": "inbound", "from": "111", "to": "222", "username": "acme.agent"});
            assert_eq!(upload(&app, &acme, metadata, wav(8000 * 60), "a.wav").await.0, 201);
        }
        let admin = app.as_user("acme.admin").await;
        let calls = |page: &str| page.split("stat-value\">").nth(1).and_then(|s| s.split('<').next()).unwrap().to_string();
        for (period, expected, change) in [
            ("today", "2", "+100 % on the day before"),
            ("yesterday", "1", "no change on the day before"),
            ("7d", "4", "none before on the 7 days before"),
            ("", "4", "none before on the 30 days before"),
        ] {
            let (_, page) = admin.get_text(&format!("/home?period={period}")).await;
            assert_eq!(calls(&page), expected, "{period}");
            assert!(page.contains(change), "{period}: {change}");
        }
        let (_, page) = admin.get_text("/home?period=yesterday").await;
        assert!(page.contains(r#"<a href="/home?period=yesterday" aria-current="page">Yesterday</a>"#));
        assert!(page.contains("Calls from 2026-11-20 to 2026-11-20"));
    }
}
