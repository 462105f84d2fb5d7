//! Reports: the audit log shows each level exactly its scope.

use crate::harness::*;
use callrec_domain::{Level, Role};
use callrec_store::backend_tests;

backend_tests! {
    async fn each_level_reads_exactly_its_part_of_the_audit_log(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let team_auditor = app.user(&seed.acme, Some(&seed.sales), "team.auditor", Level::Team, &[Role::AuditLog]).await;
        let staff_auditor = app.user(&seed.acme, Some(&seed.sales), "staff.auditor", Level::Staff, &[Role::AuditLog]).await;
        // Events in both companies, one without a company, and each auditor's own.
        app.as_user("globex.agent").await;
        app.as_user("acme.agent").await;
        app.browser().login("no.such.person", "whatever it is").await;
        let root = app.as_user("root").await;
        let admin = app.as_user("acme.admin").await;
        let team = app.as_user(&team_auditor.username).await;
        let staff = app.as_user(&staff_auditor.username).await;
        let page = |browser: Browser| async move {
            let (status, page) = browser.get_text("/reports").await;
            assert_eq!(status, 200);
            page
        };
        let everything = page(root).await;
        for seen in ["globex.agent", "acme.agent", "no.such.person", "team.auditor"] {
            assert!(everything.contains(seen), "Global sees {seen}");
        }
        let company = page(admin).await;
        assert!(company.contains("acme.agent") && company.contains("team.auditor"));
        assert!(!company.contains("globex.agent"), "another company's events stay hidden");
        assert!(!company.contains("no.such.person"), "events without a company are the operator's");
        for (browser, own, others) in [(team, "team.auditor", ["staff.auditor", "acme.agent"]), (staff, "staff.auditor", ["team.auditor", "acme.agent"])] {
            let narrow = page(browser).await;
            assert!(narrow.contains(own), "own actions: {own}");
            for other in others {
                assert!(!narrow.contains(other), "{own} sees {other}");
            }
            assert!(!narrow.contains("globex.agent") && !narrow.contains("no.such.person"));
        }
    }
}

backend_tests! {
    /// Filters by user, event and dates (the viewer's days), paging that
    /// keeps them, and Export CSV: RFC 4180, formulas defused, the scope
    /// kept, and the export audited (issue 13).
    async fn the_audit_report_filters_pages_and_exports(db) {
        use callrec_store::{AuditQuery, NewAuditEntry};
use callrec_domain::audit::AuditAction;
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        // 2026-11-20 12:00 UTC, and the same time on the 22nd.
        let (day1, day3) = (1_795_176_000, 1_795_176_000 + 2 * 86_400);
        let entry = |company: callrec_domain::CompanyId, name: &str, details: &str| {
            NewAuditEntry::new(AuditAction::RecordingDownloaded)
                .company(company)
                .actor(seed.acme_agent.id, name)
                .target("rec-1")
                .details(details)
        };
        app.store.audit(entry(seed.acme.id, "acme.agent", "=cmd|' /C calc'!A0"), day1).await.unwrap();
        app.store.audit(entry(seed.acme.id, "acme.agent", "said \"hello\", then left"), day3).await.unwrap();
        app.store.audit(entry(seed.acme.id, "acme.lead", "lead's"), day3).await.unwrap();
        app.store.audit(entry(seed.globex.id, "globex.agent", "elsewhere"), day3).await.unwrap();
        let admin = app.as_user("acme.admin").await;

        let (status, page) = admin.get_text("/reports?user=ACME.agent&action=recording.downloaded").await;
        assert_eq!(status, 200);
        assert!(page.contains("said &#34;hello&#34;, then left") || page.contains("said &quot;hello&quot;, then left"), "{page}");
        assert!(!page.contains("lead&#39;s") && !page.contains("lead's") && !page.contains("elsewhere"));
        let (_, page) = admin.get_text("/reports?user=acme.agent&from=2026-11-21&to=2026-11-22").await;
        assert!(page.contains("then left") && !page.contains("calc"), "the 22nd is included, the 20th is not");
        let (_, page) = admin.get_text("/reports?from=2026-11-20&to=2026-11-20").await;
        assert!(page.contains("calc") && !page.contains("then left"));
        assert!(page.contains(r#"href="/reports/audit.csv?from=2026-11-20&#38;to=2026-11-20""#), "the export takes the filters: {page}");
        let (status, page) = admin.get_text("/reports?from=20-11-2026").await;
        assert_eq!(status, 422);
        assert!(page.contains("Enter a date as YYYY-MM-DD"));

        let response = admin.get("/reports/audit.csv?action=recording.downloaded").await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/csv; charset=utf-8");
        assert!(response.headers()["content-disposition"].to_str().unwrap().starts_with("attachment; filename=\"audit-"));
        let csv = response.text().await.unwrap();
        let lines: Vec<&str> = csv.split("\r\n").collect();
        // Every cell quoted (security review, wave 2, item 5).
        assert_eq!(lines[0], r#""Time","Event","By","Target","Client address","Details","Entry""#);
        assert_eq!(lines.len(), 5, "three entries and the final CRLF: {csv:?}");
        assert!(lines[1].starts_with(r#""2026-11-22 12:00:00","Recording downloaded","#), "{csv}");
        assert!(csv.contains(r#""said ""hello"", then left""#), "{csv}");
        assert!(csv.contains("'=cmd|' /C calc'!A0"), "a formula is defused: {csv}");
        assert!(!csv.contains("elsewhere"), "another company's events stay out");

        let exported = app.store.audit_entries(&AuditQuery { action: Some("audit.exported".into()), limit: 5, ..AuditQuery::default() }).await.unwrap();
        assert_eq!(exported.len(), 1);
        assert_eq!(exported[0].details, "filters action=recording.downloaded");
        assert_eq!(exported[0].company_id, Some(seed.acme.id));
    }

    /// Paging keeps the filters: 51 matching entries, 50 on the first page
    /// and the Older link carries the user filter.
    async fn older_pages_keep_the_filters(db) {
        use callrec_store::NewAuditEntry;
use callrec_domain::audit::AuditAction;
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        for i in 0..51 {
            let entry = NewAuditEntry::new(AuditAction::RecordingPlayed).company(seed.acme.id).actor(seed.acme_agent.id, "acme.agent").details(format!("play {i}"));
            app.store.audit(entry, 1_800_000_000 + i).await.unwrap();
        }
        let admin = app.as_user("acme.admin").await;
        let (_, page) = admin.get_text("/reports?user=acme.agent").await;
        let start = page.find(r#"href="/reports?user=acme.agent&#38;before="#).expect("an Older link with the filter");
        let link = page[start + 6..].split('"').next().unwrap().replace("&#38;", "&");
        let (_, older) = admin.get_text(&link).await;
        assert!(older.contains("play 0") && !older.contains("play 1<"), "{older}");
    }
}

backend_tests! {
    /// The export reads a thousand entries at a time: 1,003 entries come
    /// out once each, newest first, across the batches.
    async fn exports_cross_batches_once_each(db) {
        use callrec_store::NewAuditEntry;
use callrec_domain::audit::AuditAction;
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        for i in 0..1003 {
            let entry = NewAuditEntry::new(AuditAction::RecordingPlayed).company(seed.acme.id).details(format!("play {i}"));
            app.store.audit(entry, 1_800_000_000 + i).await.unwrap();
        }
        let admin = app.as_user("acme.admin").await;
        let csv = admin.get("/reports/audit.csv?action=recording.played").await.text().await.unwrap();
        let ids: Vec<i64> = csv.split("\r\n").skip(1).filter(|l| !l.is_empty()).map(|l| l.rsplit(',').next().unwrap().trim_matches('"').parse().unwrap()).collect();
        assert_eq!(ids.len(), 1003);
        assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first, each once");
    }
}
