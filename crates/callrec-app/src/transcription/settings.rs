//! Company settings → Transcription (Off / On, with the last days' calls
//! queued) and → Redaction; `callrec company set --transcription`.

use crate::audit::AuditContext;
use crate::Error;
use callrec_domain::audit::AuditAction;
use callrec_domain::transcription::{Redaction, MAX_BACKFILL_DAYS};
use callrec_domain::{Actor, Role, ValidationError};
use callrec_store::{Company, Store};

/// Whether `actor` (none: the operator's command line) may have calls'
/// original audio destroyed by audio redaction: like deleting them, it
/// needs Access to Delete Recordings.
pub fn may_redact_audio(actor: Option<&Actor>) -> bool {
    actor.is_none_or(|actor| actor.can(Role::DeleteRecordings))
}

/// What is asked of a company's transcription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TranscriptionChange {
    pub on: bool,
    pub redaction: Redaction,
    /// Queue the calls of this many days back (turning it on).
    pub backfill_days: Option<u32>,
}

/// The number of days typed in a form or on the command line.
pub fn backfill_days(typed: &str) -> Result<Option<u32>, ValidationError> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Ok(None);
    }
    match typed.parse::<u32>() {
        Ok(days) if days <= MAX_BACKFILL_DAYS => Ok((days > 0).then_some(days)),
        _ => Err(ValidationError::new(
            "backfill_days",
            format!("Enter the days to go back as a whole number from 0 to {MAX_BACKFILL_DAYS}."),
        )),
    }
}

/// What a change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TranscriptionChanged {
    /// Recordings put on the queue (the backfill).
    pub queued: u64,
    /// Waiting jobs taken off (turned off).
    pub dropped: u64,
}

/// Saves the company's transcription settings with their audit entry:
/// turned on with days to go back, the company's calls of those days
/// without a transcript are queued; turned off, waiting jobs are dropped
/// (transcripts kept stay).
pub async fn change_transcription(
    store: &Store,
    company: &Company,
    change: TranscriptionChange,
    audit: &AuditContext,
) -> Result<TranscriptionChanged, Error> {
    if change.backfill_days.is_some() && !change.on {
        return Err(ValidationError::new(
            "backfill_days",
            "Calls can be queued only with Transcription on.",
        )
        .into());
    }
    let mut write = store.write(audit.now).await?;
    write
        .set_company_transcription(company.id, change.on, change.redaction)
        .await?;
    let mut done = TranscriptionChanged::default();
    if let Some(days) = change.backfill_days {
        let since_ms = (audit.now - i64::from(days) * 86_400).saturating_mul(1000);
        done.queued = write
            .queue_transcriptions_since(company.id, since_ms)
            .await?;
    }
    if !change.on {
        done.dropped = write.drop_queued_transcriptions(company.id).await?;
    }
    let mut details = vec![
        format!(
            "transcription {} → {}",
            on_off(company.transcription),
            on_off(change.on)
        ),
        format!(
            "redaction {} → {}",
            company.redaction.label(),
            change.redaction.label()
        ),
    ];
    if let Some(days) = change.backfill_days {
        details.push(format!(
            "{} recordings of the last {days} days queued",
            done.queued
        ));
    }
    if done.dropped > 0 {
        details.push(format!(
            "{} waiting recordings taken off the queue",
            done.dropped
        ));
    }
    let entry = audit
        .entry(AuditAction::TranscriptionChanged)
        .company(company.id)
        .target(&company.name)
        .details(details.join("; "));
    write.commit_with(entry).await?;
    Ok(done)
}

fn on_off(on: bool) -> &'static str {
    if on {
        "On"
    } else {
        "Off"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_typed_are_checked() {
        assert_eq!(backfill_days(""), Ok(None));
        assert_eq!(backfill_days(" 0 "), Ok(None));
        assert_eq!(backfill_days("30"), Ok(Some(30)));
        assert_eq!(backfill_days("3650"), Ok(Some(3650)));
        for bad in ["-1", "3651", "ten", "1.5", "99999999999"] {
            assert_eq!(
                backfill_days(bad).unwrap_err().field,
                "backfill_days",
                "{bad}"
            );
        }
    }
}
