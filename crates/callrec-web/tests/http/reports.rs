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
