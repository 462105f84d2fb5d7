//! `callrec audit verify` over a large log, run by hand (not in CI):
//!
//!     CALLREC_AUDIT_ENTRIES=200000 cargo test --release -p callrec-app \
//!         --test audit_scale -- --ignored --nocapture
//!
//! Appends the entries through the store (each in its own transaction, as
//! the portal writes them, over ten company chains), then times the walk.
//! Results in docs/BENCHMARKS.md.

use callrec_app::audit::chain::verify_audit;
use callrec_domain::audit::AuditAction;
use callrec_domain::CompanyId;
use callrec_store::testing::TestDb;
use callrec_store::NewAuditEntry;
use std::time::Instant;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: run by hand"]
async fn audit_verify_throughput() {
    let entries: u64 = std::env::var("CALLREC_AUDIT_ENTRIES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    for (name, db) in [
        ("SQLite", Some(TestDb::sqlite().await)),
        ("PostgreSQL", TestDb::postgres().await),
    ] {
        let Some(db) = db else {
            eprintln!("{name}: skipped (no CALLREC_TEST_POSTGRES_URL)");
            continue;
        };
        let start = Instant::now();
        for i in 0..entries {
            let entry = NewAuditEntry::new(AuditAction::RecordingPlayed)
                .company(CompanyId(1 + (i % 10) as i64))
                .target(format!("{i:032x}"))
                .details("played from the Recordings page");
            db.store
                .audit(entry, 1_800_000_000 + i as i64)
                .await
                .unwrap();
        }
        let written = start.elapsed();
        let start = Instant::now();
        let report = verify_audit(&db.store, &[]).await.unwrap();
        let walked = start.elapsed();
        assert!(report.is_clean(), "{report:?}");
        eprintln!(
            "{name}: {entries} entries written in {:.1} s ({:.0}/s); audit verify {:.2} s ({:.0} entries/s)",
            written.as_secs_f64(),
            entries as f64 / written.as_secs_f64(),
            walked.as_secs_f64(),
            entries as f64 / walked.as_secs_f64()
        );
    }
}
