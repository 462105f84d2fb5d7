//! The audit log's hash chains (issue 13), on SQLite and PostgreSQL: linear
//! with two nodes writing at once, and every kind of tampering named.

use callrec_app::audit::chain::{anchors, verify_audit, Break};
use callrec_domain::audit::AuditAction;
use callrec_domain::CompanyId;
use callrec_store::{backend_tests, NewAuditEntry, Store};

fn entry(company: Option<CompanyId>, details: String) -> NewAuditEntry {
    let mut entry = NewAuditEntry::new(AuditAction::RecordingPlayed).details(details);
    if let Some(company) = company {
        entry = entry.company(company);
    }
    entry
}

async fn write(store: &Store, company: Option<CompanyId>, count: usize) {
    for i in 0..count {
        store
            .audit(
                entry(company, format!("entry {i}")),
                1_800_000_000 + i as i64,
            )
            .await
            .unwrap();
    }
}

/// The first break of `chain`, if any.
async fn problem(store: &Store, chain: &str) -> Option<Break> {
    let report = verify_audit(store, &[]).await.unwrap();
    report
        .chains
        .into_iter()
        .find(|c| c.chain == chain)
        .unwrap()
        .problem
}

backend_tests! {
    /// Two nodes, each with its own store, append 40 entries each to one
    /// company's chain at once (and some to the portal's): every position
    /// 1..=80 is taken once and the chain verifies.
    async fn chains_stay_linear_with_two_nodes_writing_at_once(db) {
        let other = db.another_node().await;
        let company = Some(CompanyId(1));
        let mut tasks = Vec::new();
        for node in [db.store.clone(), other.clone()] {
            for _ in 0..4 {
                let node = node.clone();
                tasks.push(tokio::spawn(async move { write(&node, company, 10).await }));
            }
        }
        let portal = db.store.clone();
        tasks.push(tokio::spawn(async move { write(&portal, None, 5).await }));
        for task in tasks {
            task.await.unwrap();
        }
        let report = verify_audit(&db.store, &[]).await.unwrap();
        assert!(report.is_clean(), "{report:?}");
        let chain = report.chains.iter().find(|c| c.chain == "company:1").unwrap();
        assert_eq!(chain.entries, 80);
        let portal = report.chains.iter().find(|c| c.chain == "portal").unwrap();
        assert_eq!(portal.entries, 5);
    }

    /// Edit, delete, swap and truncate directly in the database: each is
    /// named at the first entry it touched.
    async fn tampering_is_named(db) {
        let store = &db.store;
        write(store, Some(CompanyId(1)), 10).await;
        assert_eq!(problem(store, "company:1").await, None);
        let id_at = |seq: i64| format!("(SELECT id FROM audit_log WHERE chain = 'company:1' AND seq = {seq})");

        // An entry edited.
        db.execute(&format!("UPDATE audit_log SET details = 'nothing to see' WHERE id = {}", id_at(4))).await.unwrap();
        assert!(matches!(problem(store, "company:1").await, Some(Break::Changed { seq: 4, .. })));
        db.execute(&format!("UPDATE audit_log SET details = 'entry 3' WHERE id = {}", id_at(4))).await.unwrap();
        assert_eq!(problem(store, "company:1").await, None, "put back: intact again");

        // Two entries swapped (their positions exchanged).
        db.execute("UPDATE audit_log SET seq = -1 WHERE chain = 'company:1' AND seq = 6").await.unwrap();
        db.execute("UPDATE audit_log SET seq = 6 WHERE chain = 'company:1' AND seq = 7").await.unwrap();
        db.execute("UPDATE audit_log SET seq = 7 WHERE chain = 'company:1' AND seq = -1").await.unwrap();
        assert!(matches!(problem(store, "company:1").await, Some(Break::Changed { seq: 6, .. })));
        db.execute("UPDATE audit_log SET seq = -1 WHERE chain = 'company:1' AND seq = 6").await.unwrap();
        db.execute("UPDATE audit_log SET seq = 6 WHERE chain = 'company:1' AND seq = 7").await.unwrap();
        db.execute("UPDATE audit_log SET seq = 7 WHERE chain = 'company:1' AND seq = -1").await.unwrap();
        assert_eq!(problem(store, "company:1").await, None);

        // The anchors taken now catch a rewrite of the whole chain later.
        let anchored = anchors(store).await.unwrap();

        // An entry deleted in the middle, then the last one.
        db.execute("DELETE FROM audit_log WHERE chain = 'company:1' AND seq = 5").await.unwrap();
        assert_eq!(problem(store, "company:1").await, Some(Break::Removed { from: 5, to: 5 }));
        db.execute("DELETE FROM audit_log WHERE chain = 'company:1' AND seq > 4").await.unwrap();
        assert_eq!(problem(store, "company:1").await, Some(Break::Truncated { recorded: 10, found: 4 }));

        // Someone also moves the recorded head back: the chain alone looks
        // whole, the anchors do not.
        db.execute("UPDATE audit_chains SET length = 4, head_hash = (SELECT hash FROM audit_log WHERE chain = 'company:1' AND seq = 4) WHERE chain = 'company:1'").await.unwrap();
        assert_eq!(problem(store, "company:1").await, None);
        let report = verify_audit(store, &anchored).await.unwrap();
        let chain = report.chains.iter().find(|c| c.chain == "company:1").unwrap();
        assert_eq!(chain.problem, Some(Break::AnchorMismatch { seq: 10 }));
        assert!(!report.is_clean());

        // An entry slipped in outside the chains, with a new id or an old one.
        db.execute("INSERT INTO audit_log (at, action, details) VALUES (1, 'recording.played', 'forged')").await.unwrap();
        let report = verify_audit(store, &[]).await.unwrap();
        assert_eq!(report.outside.len(), 1);
        assert!(!report.is_clean());
        db.execute("DELETE FROM audit_log WHERE details = 'forged'").await.unwrap();
        db.execute("INSERT INTO audit_log (id, at, action, details) VALUES (-5, 1, 'recording.played', 'forged')").await.unwrap();
        let report = verify_audit(store, &[]).await.unwrap();
        assert_eq!(report.unchained, (0, 1), "among the old entries: counted");
        assert!(!report.is_clean());
    }

    /// A forged entry appended with a correct hash, and a head deleted to
    /// hide a chain: both found.
    async fn a_chain_cannot_be_extended_or_hidden(db) {
        use callrec_domain::audit_chain::Link;
        let store = &db.store;
        write(store, Some(CompanyId(2)), 3).await;
        let prev: String = store.audit_chain_heads().await.unwrap()[0].head_hash.clone();
        let link = Link { chain: "company:2", seq: 4, at: 5, action: "recording.played", actor_user_id: None, actor_name: None, company_id: Some(2), target: None, client_addr: None, details: "forged", prev_hash: &prev };
        db.execute(&format!(
            "INSERT INTO audit_log (at, action, company_id, details, chain, seq, prev_hash, hash) VALUES (5, 'recording.played', 2, 'forged', 'company:2', 4, '{prev}', '{}')",
            link.hash()
        )).await.unwrap();
        assert_eq!(problem(store, "company:2").await, Some(Break::PastHead { recorded: 3, found: 4 }));
        db.execute("DELETE FROM audit_chains WHERE chain = 'company:2'").await.unwrap();
        assert_eq!(problem(store, "company:2").await, Some(Break::HeadMissing));
    }
}
