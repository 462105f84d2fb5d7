//! A recording's transcript: `GET /api/v1/recordings/{id}/transcript`
//! (scope transcripts:read): its status and, when ready, its speakers,
//! their lines and each word with when it was said. Read like the page's:
//! opened with the company's data key and audited once per token and
//! recording in ten minutes.

use super::caller::ApiCaller;
use super::recordings::find;
use super::{ApiError, ErrorBody};
use crate::AppState;
use axum::extract::{Path, State};
use axum::Json;
use callrec_app::transcription::reading::{
    record_transcript_reading, speaker_names, transcript_of, TranscriptReading,
};
use callrec_domain::api_scope::ApiScope;
use callrec_domain::time::format_rfc3339_ms;
use serde::Serialize;
use utoipa::ToSchema;

/// Where a transcript stands.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum TranscriptState {
    /// Never queued: transcription was off when the call was recorded.
    None,
    /// Waiting for the speech engine.
    Queued,
    /// Being heard now.
    Working,
    /// Given up (the portal offers Retry).
    Failed,
    Ready,
    /// Kept, but its seal does not open.
    Unreadable,
}

/// A party of the call (one channel).
#[derive(Serialize, ToSchema)]
pub(crate) struct Speaker {
    /// 0: the first channel (the calling party), 1: the second.
    party: u8,
    /// The agent's username, else the party's number.
    name: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct SpokenWord {
    text: String,
    start_seconds: f64,
    end_seconds: f64,
}

/// One speaker's stretch of the call.
#[derive(Serialize, ToSchema)]
pub(crate) struct Segment {
    party: u8,
    start_seconds: f64,
    end_seconds: f64,
    text: String,
    words: Vec<SpokenWord>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct TranscriptBody {
    recording_id: String,
    status: TranscriptState,
    speakers: Vec<Speaker>,
    /// Empty unless `status` is `ready`.
    segments: Vec<Segment>,
    /// Card numbers and security codes replaced by `[card number]`.
    redacted: i64,
    #[schema(format = DateTime)]
    created_at: Option<String>,
}

fn seconds(ms: u32) -> f64 {
    f64::from(ms) / 1000.0
}

/// A recording's transcript.
#[utoipa::path(
    get,
    path = "/api/v1/recordings/{id}/transcript",
    tag = "Transcripts",
    security(("token" = ["transcripts:read"])),
    params(("id" = String, Path, description = "The recording's id (32 hex digits)")),
    responses(
        (status = 200, description = "Its transcript, or where it stands", body = TranscriptBody),
        (status = 401, description = "Missing, unknown, revoked or expired token (unauthorized)", body = ErrorBody),
        (status = 404, description = "No such recording in the token's company, or the token lacks transcripts:read (not_found)", body = ErrorBody),
        (status = 429, description = "Over the token's rate limit (rate_limited)", body = ErrorBody,
            headers(("Retry-After" = i64, description = "Seconds to wait"))),
    )
)]
pub(crate) async fn one(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<TranscriptBody>, ApiError> {
    let grant = caller
        .allow_read(
            &state,
            ApiScope::TranscriptsRead,
            "GET /api/v1/recordings/{id}/transcript",
        )
        .await?;
    let recording = find(&state, grant, &id).await?;
    let view = transcript_of(&state.store, &state.data_keys, &recording, state.now())
        .await
        .map_err(crate::error::AppError::from)?;
    let names = speaker_names(&recording);
    let segments = match &view.transcript {
        Some(transcript) => {
            let reader = format!("token:{}", caller.token.id);
            record_transcript_reading(
                &state.store,
                &caller.audit(),
                &reader,
                &recording,
                TranscriptReading::Read,
            )
            .await
            .map_err(crate::error::AppError::from)?;
            transcript
                .segments()
                .iter()
                .map(|s| Segment {
                    party: s.party,
                    start_seconds: seconds(s.start_ms),
                    end_seconds: seconds(s.end_ms),
                    text: s.line(),
                    words: s
                        .words
                        .iter()
                        .map(|w| SpokenWord {
                            text: w.text.trim().to_string(),
                            start_seconds: seconds(w.start_ms),
                            end_seconds: seconds(w.end_ms),
                        })
                        .collect(),
                })
                .collect()
        }
        None => Vec::new(),
    };
    use callrec_app::transcription::reading::TranscriptStatus as S;
    let status = match view.status {
        S::None => TranscriptState::None,
        S::Queued => TranscriptState::Queued,
        S::Working => TranscriptState::Working,
        S::Failed(_) => TranscriptState::Failed,
        S::Ready => TranscriptState::Ready,
        S::Unreadable => TranscriptState::Unreadable,
    };
    Ok(Json(TranscriptBody {
        recording_id: recording.id.as_str().to_string(),
        status,
        speakers: names
            .into_iter()
            .enumerate()
            .map(|(party, name)| Speaker {
                party: party as u8,
                name,
            })
            .collect(),
        segments,
        redacted: view.redacted,
        created_at: view.created_at.map(|at| format_rfc3339_ms(at * 1000)),
    }))
}
