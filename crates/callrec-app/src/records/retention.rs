//! Company settings → Retention: the period, what a shorter one would
//! delete, and the audited change. A shorter period may delete recordings
//! for good, so it waits out a notice period (`CALLREC_RETENTION_NOTICE_DAYS`)
//! during which the purge keeps the period in force, every Company user who
//! answers for the records is mailed, and Cancel change undoes it (security
//! review, wave 2, item 1). A longer period takes effect at once.

use crate::audit::AuditContext;
use crate::mail::{notify_holders, NoticeKind};
use crate::Error;
use callrec_domain::audit::AuditAction;
use callrec_domain::retention::{PendingRetention, Retention, RetentionChange, RetentionRule};
use callrec_domain::zone::Zone;
use callrec_domain::{Actor, Role, ValidationError};
use callrec_store::{Company, Store};

/// Who is mailed when a shorter period is chosen.
const ANSWERABLE: [Role; 2] = [Role::ManageUsers, Role::DeleteRecordings];

/// How many of the company's recordings the purge job would delete at
/// its next run if `retention` were in force now (held ones excepted).
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

/// What a save did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetentionSaved {
    Unchanged,
    /// A longer period, in force now (a pending shorter one is dropped).
    InForce,
    /// A shorter period, in force from this time (Unix seconds).
    Scheduled {
        from: i64,
    },
}

/// A change of a company's retention.
pub struct RetentionRequest<'a> {
    pub company: &'a Company,
    pub period: Retention,
    /// The company's zone (months and days count in it).
    pub zone: &'a Zone,
    /// Days a shorter period waits.
    pub notice_days: u32,
    /// Whether mail is on: who answers for the records is told.
    pub mail: bool,
}

/// Whether `actor` may choose a shorter period: besides Company settings
/// (Access to Manage Users), it deletes recordings, so it needs Access to
/// Delete Recordings. `None` is the operator at the command line.
pub fn may_shorten(actor: Option<&Actor>) -> bool {
    actor.is_none_or(|actor| actor.can(Role::DeleteRecordings))
}

/// Saves the company's retention, audited with the old and new periods,
/// when it takes effect and how many recordings would then be due.
pub async fn change_retention(
    store: &Store,
    request: &RetentionRequest<'_>,
    actor: Option<&Actor>,
    audit: &AuditContext,
) -> Result<RetentionSaved, Error> {
    let company = request.company;
    let rule = company.retention_rule().at(audit.now);
    let new = request.period;
    let change = new.compared_with(rule.current);
    let (saved, stored) = match change {
        RetentionChange::Unchanged => {
            // The period in force again: a waiting shorter one is cancelled.
            let cancelled = cancel_retention_change(store, company, request.zone, audit).await?;
            return Ok(if cancelled {
                RetentionSaved::InForce
            } else {
                RetentionSaved::Unchanged
            });
        }
        RetentionChange::Longer => (RetentionSaved::InForce, RetentionRule::of(new)),
        RetentionChange::Shorter => {
            if !may_shorten(actor) {
                return Err(ValidationError::new(
                    "retention",
                    "A shorter retention deletes recordings: it needs Access to Delete Recordings.",
                )
                .into());
            }
            let from = audit.now + i64::from(request.notice_days) * 86_400;
            let pending = PendingRetention { period: new, from };
            let stored = RetentionRule {
                current: rule.current,
                pending: Some(pending),
            };
            (RetentionSaved::Scheduled { from }, stored)
        }
    };
    let (effective, due_from) = match saved {
        RetentionSaved::Scheduled { from } => (request.zone.format_seconds(from), from),
        _ => ("at once".to_string(), audit.now),
    };
    let due = due_under(
        store,
        company,
        new,
        request.zone,
        due_from.saturating_mul(1000),
    )
    .await?;
    let entry = audit
        .entry(AuditAction::CompanySettingsChanged)
        .company(company.id)
        .target(&company.name)
        .details(format!(
            "retention {} → {new}, in force {effective} ({due} recordings due for deletion then)",
            rule.current
        ));
    let mut write = store.write(audit.now).await?;
    write.set_company_retention(company.id, stored).await?;
    write.commit_with(entry).await?;
    if let (RetentionSaved::Scheduled { .. }, true) = (saved, request.mail) {
        let kind = NoticeKind::RetentionShortened {
            company: company.name.clone(),
            old: rule.current.to_string(),
            new: new.to_string(),
            effective: format!("{effective} ({})", request.zone.name()),
            by: audit.actor_name().to_string(),
        };
        notify_holders(store, company.id, &ANSWERABLE, None, kind, audit).await?;
    }
    Ok(saved)
}

/// Cancel change: the waiting shorter period is dropped, audited. False
/// when none is waiting (any more).
pub async fn cancel_retention_change(
    store: &Store,
    company: &Company,
    zone: &Zone,
    audit: &AuditContext,
) -> Result<bool, Error> {
    let rule = company.retention_rule().at(audit.now);
    let Some(pending) = rule.pending else {
        return Ok(false);
    };
    let entry = audit
        .entry(AuditAction::CompanySettingsChanged)
        .company(company.id)
        .target(&company.name)
        .details(format!(
            "retention {} kept; the change to {} due {} cancelled",
            rule.current,
            pending.period,
            zone.format_seconds(pending.from)
        ));
    let mut write = store.write(audit.now).await?;
    write
        .set_company_retention(company.id, RetentionRule::of(rule.current))
        .await?;
    write.commit_with(entry).await?;
    Ok(true)
}
