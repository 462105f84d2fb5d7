//! Reading a recording's transcript (its page, the API, downloads): its
//! status, the words opened with the company's data key, the reading
//! audited like a play, and "Retry" for one that failed.

use crate::audit::once::audit_once;
use crate::audit::AuditContext;
use crate::sealing::DataKeys;
use crate::Error;
use callrec_domain::audit::AuditAction;
use callrec_domain::recording::Direction;
use callrec_domain::transcript::Transcript;
use callrec_domain::transcription::{JobState, Redaction};
use callrec_domain::Actor;
use callrec_store::{Recording, Store};

/// Where a recording's transcript stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TranscriptStatus {
    /// Never queued (transcription off when it was recorded).
    None,
    /// Waiting for a node.
    Queued,
    /// A node is hearing it now.
    Working,
    /// Given up; the reason is for operators (the page says "Transcript
    /// failed — retry").
    Failed(String),
    Ready,
    /// Kept, but its seal does not open (logged as such).
    Unreadable,
}

/// A recording's transcript as people read it.
#[derive(Debug, Clone)]
pub struct TranscriptView {
    pub status: TranscriptStatus,
    /// The words, when ready.
    pub transcript: Option<Transcript>,
    /// Card numbers and security codes replaced.
    pub redacted: i64,
    /// When it was made (Unix seconds).
    pub created_at: Option<i64>,
}

/// The transcript of `recording` (which the caller may see) at `now`.
pub async fn transcript_of(
    store: &Store,
    keys: &DataKeys,
    recording: &Recording,
    now: i64,
) -> Result<TranscriptView, Error> {
    // The job before the transcript: a worker keeps both in one commit,
    // so a job read as done always finds its transcript after it (read
    // the other way round, a commit between the two reads showed a call
    // being heard as never queued: seen once in CI).
    let job = store.transcription_job(&recording.id).await?;
    if let Some(stored) = store.transcript(&recording.id).await? {
        let transcript = super::kept::opened(store, keys, recording.company_id, &stored).await;
        if transcript.is_none() {
            tracing::error!(recording = %recording.id, "a sealed transcript does not open");
        }
        return Ok(TranscriptView {
            status: if transcript.is_some() {
                TranscriptStatus::Ready
            } else {
                TranscriptStatus::Unreadable
            },
            transcript,
            redacted: stored.redacted,
            created_at: Some(stored.created_at),
        });
    }
    let status = match job {
        None => TranscriptStatus::None,
        Some(job) => match job.state {
            JobState::Queued if job.lease_until.is_some_and(|until| until >= now) => {
                TranscriptStatus::Working
            }
            JobState::Queued => TranscriptStatus::Queued,
            JobState::Failed => TranscriptStatus::Failed(job.error.unwrap_or_default()),
            // Done without a transcript: it went with a purge race; as none.
            JobState::Done => TranscriptStatus::None,
        },
    };
    Ok(TranscriptView {
        status,
        transcript: None,
        redacted: 0,
        created_at: None,
    })
}

/// What party `party` (a channel) of `recording` is called in its
/// transcript: see [`speaker_names`]; a third channel is "Party 3".
pub fn speaker_name(recording: &Recording, party: u8) -> String {
    speaker_names(recording)
        .get(usize::from(party))
        .cloned()
        .unwrap_or_else(|| format!("Party {}", u16::from(party) + 1))
}

/// What each party (channel) of `recording` is called in its transcript:
/// the agent by their username (the calling party of an outbound call,
/// the called party of an inbound one), the other by their number.
pub fn speaker_names(recording: &Recording) -> [String; 2] {
    let (calling, called) = (
        recording.calling_number.shown().to_string(),
        recording.called_number.shown().to_string(),
    );
    match (recording.direction, &recording.username) {
        (Direction::Outbound, Some(agent)) => [agent.clone(), called],
        (Direction::Inbound, Some(agent)) => [calling, agent.clone()],
        _ => [calling, called],
    }
}

/// How a transcript is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TranscriptReading {
    /// Shown on the page or read through the API: audited once per reader
    /// and recording in ten minutes, like a play.
    Read,
    /// Downloaded as text or WebVTT: audited every time.
    Download,
}

/// Audits `reading` of `recording`'s transcript before it is shown.
/// `reader_key` tells one reader from another (a session, an API token).
pub async fn record_transcript_reading(
    store: &Store,
    audit: &AuditContext,
    reader_key: &str,
    recording: &Recording,
    reading: TranscriptReading,
) -> Result<(), Error> {
    let action = match reading {
        TranscriptReading::Read => AuditAction::TranscriptRead,
        TranscriptReading::Download => AuditAction::TranscriptDownloaded,
    };
    let entry = audit
        .entry(action)
        .company(recording.company_id)
        .target(recording.id.as_str());
    match reading {
        TranscriptReading::Download => Ok(store.audit(entry, audit.now).await?),
        TranscriptReading::Read => {
            let key = format!("{reader_key}:transcript:{}", recording.id);
            audit_once(store, &key, entry, audit.now).await
        }
    }
}

/// "Retry": a failed transcript (or a call recorded before transcription
/// was on) queued again; false when it is already queued or done.
pub async fn queue_again(
    store: &Store,
    recording: &Recording,
    actor: Option<&Actor>,
    audit: &AuditContext,
) -> Result<bool, Error> {
    let company = store
        .company(recording.company_id)
        .await?
        .ok_or(Error::NotAllowed)?;
    if !company.transcription {
        return Err(Error::Refused(
            "Transcription is off for this company: turn it on under Company settings → Transcription first.".into(),
        ));
    }
    // With audio redaction, a transcript may destroy the call's original.
    if company.redaction == Redaction::TranscriptAndAudio
        && !super::settings::may_redact_audio(actor)
    {
        return Err(Error::Refused(
            "This company's redaction silences card numbers in the audio and destroys the original: transcribing a call needs Access to Delete Recordings. Ask someone who has it.".into(),
        ));
    }
    let mut write = store.write(audit.now).await?;
    if !write
        .queue_transcription(&recording.id, recording.company_id)
        .await?
    {
        return Ok(false);
    }
    let entry = audit
        .entry(AuditAction::TranscriptionQueued)
        .company(recording.company_id)
        .target(recording.id.as_str());
    write.commit_with(entry).await?;
    Ok(true)
}
