//! The Teams page.

use crate::harness::*;
use callrec_store::{backend_tests, AuditQuery};

backend_tests! {
    async fn teams_are_added_renamed_and_disabled(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let admin = app.as_user("acme.admin").await;
        let (status, page) = admin.get_text("/teams").await;
        assert_eq!(status, 200);
        assert!(page.contains(">Sales</td>") && page.contains(">Support</td>") && !page.contains("Front"));
        assert!(page.contains(">Add team</button>"));

        let response = admin.post("/teams", &[("name", "Retention")]).await;
        assert_eq!(response.status(), 303);
        let retention = app.store.team_by_name(seed.acme.id, "retention").await.unwrap().unwrap();

        let (status, page) = admin.post_text("/teams", &[("name", "SALES")]).await;
        assert_eq!(status, 422);
        assert!(page.contains("a team with that name in this company already exists"));
        let (status, page) = admin.post_text("/teams", &[("name", "  ")]).await;
        assert_eq!(status, 422);
        assert!(page.contains("Team name is required"));

        let (_, page) = admin.get_text(&format!("/teams?rename={}", retention.id)).await;
        assert!(page.contains(">Rename Retention</h2>"));
        let response = admin.post(&format!("/teams/{}/rename", retention.id), &[("name", "Customer Retention")]).await;
        assert_eq!(response.status(), 303);
        let response = admin.post(&format!("/teams/{}/status", retention.id), &[("enabled", "0")]).await;
        assert_eq!(response.status(), 303);
        let team = app.store.team(seed.acme.id, retention.id).await.unwrap().unwrap();
        assert_eq!((team.name.as_str(), team.enabled), ("Customer Retention", false));
        let (_, page) = admin.get_text("/teams").await;
        assert!(page.contains(r#"aria-label="Enable Customer Retention""#));

        let actions: Vec<_> = app.store.audit_entries(&AuditQuery { company: Some(seed.acme.id), limit: 10, ..AuditQuery::default() }).await.unwrap()
            .into_iter().map(|e| e.action).collect();
        assert!(actions.starts_with(&["team.disabled".to_string(), "team.renamed".to_string(), "team.created".to_string()]), "{actions:?}");
    }

    async fn teams_outside_the_scope_do_not_exist(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let admin = app.as_user("acme.admin").await;
        let front = seed.front.id;
        assert_eq!(admin.get(&format!("/teams?rename={front}")).await.status(), 404);
        assert_eq!(admin.post(&format!("/teams/{front}/rename"), &[("name", "Mine now")]).await.status(), 404);
        assert_eq!(admin.post(&format!("/teams/{front}/status"), &[("enabled", "0")]).await.status(), 404);
        assert_eq!(app.store.team(seed.globex.id, front).await.unwrap().unwrap().name, "Front");
        // A company user cannot add a team to another company by naming it.
        let response = admin.post("/teams", &[("name", "Sneaky"), ("company", &seed.globex.id.to_string())]).await;
        assert_eq!(response.status(), 303);
        assert!(app.store.team_by_name(seed.globex.id, "Sneaky").await.unwrap().is_none());
        assert!(app.store.team_by_name(seed.acme.id, "Sneaky").await.unwrap().is_some(), "it lands in their own company");
        // A team lead sees and renames only their own team, and adds none.
        let lead = app.as_user("acme.lead").await;
        let (_, page) = lead.get_text("/teams").await;
        assert!(page.contains(">Sales</td>") && !page.contains(">Support</td>") && !page.contains(">Add team</button>"));
        assert_eq!(lead.post(&format!("/teams/{}/rename", seed.support.id), &[("name", "X")]).await.status(), 404);
        assert_eq!(lead.post("/teams", &[("name", "Lead Team")]).await.status(), 404);
    }

    async fn a_global_user_picks_the_company(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let root = app.as_user("root").await;
        let (_, page) = root.get_text("/teams").await;
        assert!(page.contains(">Front</td>") && page.contains(">Sales</td>"));
        let globex = seed.globex.id.to_string();
        let (_, page) = root.get_text(&format!("/teams?company={globex}")).await;
        assert!(page.contains(">Front</td>") && !page.contains(">Sales</td>"));
        let response = root.post("/teams", &[("name", "Night Shift"), ("company", &globex)]).await;
        assert_eq!(location(&response), format!("/teams?company={globex}&done=team-saved"));
        assert!(app.store.team_by_name(seed.globex.id, "night shift").await.unwrap().is_some());
    }
}
