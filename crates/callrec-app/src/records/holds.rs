//! Legal hold: placed with a reason and released, on one recording or on
//! every recording a search matches; each change audited (role Access to
//! Legal Hold, checked by the caller).

use crate::audit::AuditContext;
use crate::lease::Lease;
use crate::Error;
use callrec_domain::audit::AuditAction;
use callrec_domain::hold::HoldReason;
use callrec_domain::permissions::DataScope;
use callrec_domain::ValidationError;
use callrec_store::{HoldChange, Job, Recording, RecordingQuery, Store};

fn action(change: HoldChange<'_>) -> AuditAction {
    match change {
        HoldChange::Place(_) => AuditAction::HoldPlaced,
        HoldChange::Release => AuditAction::HoldReleased,
    }
}

fn reason_words(change: HoldChange<'_>) -> String {
    match change {
        HoldChange::Place(reason) => format!("reason: {reason}"),
        HoldChange::Release => String::new(),
    }
}

/// Places or releases the hold on `recording` (found in `scope`). False
/// when nothing changed (already held, or not held).
pub async fn change_hold(
    store: &Store,
    recording: &Recording,
    scope: DataScope,
    change: HoldChange<'_>,
    audit: &AuditContext,
) -> Result<bool, Error> {
    let entry = audit
        .entry(action(change))
        .company(recording.company_id)
        .target(recording.id.as_str())
        .details(reason_words(change));
    let changed = store
        .change_hold(
            &recording.id,
            scope,
            change,
            audit.actor_name(),
            audit.now,
            entry,
        )
        .await?;
    // Gone meanwhile (a Delete won the race): 404, not "placed".
    changed.ok_or(Error::Store(callrec_store::StoreError::NotFound))
}

/// Places or releases the hold on every recording `query` matches (its
/// scope and filters): one audit entry per company, with the count and
/// the search. Returns how many changed.
pub async fn change_holds_matching(
    store: &Store,
    query: &RecordingQuery,
    search: &str,
    change: HoldChange<'_>,
    audit: &AuditContext,
) -> Result<u64, Error> {
    let reason = reason_words(change);
    let entry = |company, count: u64| {
        let search = if search.is_empty() {
            "all recordings"
        } else {
            search
        };
        audit
            .entry(action(change))
            .company(company)
            .target(format!("{count} recordings"))
            .details(
                format!("matching {search}; {reason}")
                    .trim_end_matches("; ")
                    .to_string(),
            )
    };
    // One bulk change per company at a time, across nodes: it works in
    // batches, and two at once would interleave their counts.
    let company = match query.scope {
        DataScope::Everything => query.company,
        DataScope::Company(company) | DataScope::Team(company, _) => Some(company),
        DataScope::OwnOnly(_) => None,
    };
    let Some(lease) = Lease::take(
        store,
        Job::BulkHold(company),
        "bulk-hold",
        BULK_LEASE_SECONDS,
    )
    .await?
    else {
        return Err(ValidationError::new(
            "hold",
            "Another change of holds for this company is running; try again when it has finished.",
        )
        .into());
    };
    let changed = store
        .change_holds_matching(query, change, audit.actor_name(), audit.now, entry)
        .await;
    lease.release().await?;
    Ok(changed?)
}

/// How long a bulk change's lease lasts if its node dies: far more than
/// 170,000 rows take (2.4 s in one statement, security review).
const BULK_LEASE_SECONDS: i64 = 600;

/// The reason typed, parsed.
pub fn reason(input: &str) -> Result<HoldReason, Error> {
    Ok(HoldReason::parse(input)?)
}
