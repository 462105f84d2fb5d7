//! Company settings → Retention: the period, what a shorter one would
//! delete at the next run, and the audited change.

use crate::accounts::AuditContext;
use crate::Error;
use callrec_domain::retention::Retention;
use callrec_domain::zone::Zone;
use callrec_store::{AuditAction, Company, Store};

/// How many of the company's recordings the purge job would delete at
/// its next run if `retention` were saved now (held ones excepted).
pub async fn due_under(
    store: &Store,
    company: &Company,
    retention: Retention,
    zone: &Zone,
    now_ms: i64,
) -> Result<i64, Error> {
    match retention.cutoff(zone, now_ms) {
        Some(before) => Ok(store.count_due(company.id, before).await?),
        None => Ok(0),
    }
}

/// Saves the company's retention, audited with the old and new periods
/// and how many recordings were then due. Nothing happens when it is
/// unchanged.
pub async fn set_retention(
    store: &Store,
    company: &Company,
    retention: Retention,
    zone: &Zone,
    audit: &AuditContext,
) -> Result<(), Error> {
    if retention == company.retention {
        return Ok(());
    }
    let due = due_under(
        store,
        company,
        retention,
        zone,
        audit.now.saturating_mul(1000),
    )
    .await?;
    store.set_company_retention(company.id, retention).await?;
    let entry = audit
        .entry(AuditAction::CompanySettingsChanged)
        .company(company.id)
        .target(&company.name)
        .details(format!(
            "retention {} → {retention} ({due} recordings due for deletion at the next run)",
            company.retention
        ));
    store.audit(entry, audit.now).await?;
    Ok(())
}
