//! A recording's transcript on its page (beside the player: by speaker
//! and time, the word being said highlighted, a click on a word plays
//! from it, a search within the call), Download transcript (text or
//! WebVTT), and Retry / Transcribe this call. Reading it is audited once
//! per session and recording in ten minutes, like a play; a download every
//! time.

use super::audio::find;
use crate::error::AppError;
use crate::form::{FormData, QueryData};
use crate::security::ClientAddr;
use crate::session::{require, CurrentUser};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use callrec_app::transcription::reading::{
    queue_again, record_transcript_reading, speaker_name, transcript_of, TranscriptReading,
    TranscriptStatus,
};
use callrec_domain::recording::download_name;
use callrec_domain::time::clock_text;
use callrec_domain::Role;
use callrec_store::Recording;

/// The Transcript section of a recording's page.
pub(crate) struct TranscriptPanel {
    pub status: TranscriptStatus,
    pub lines: Vec<Line>,
    /// Card numbers replaced.
    pub redacted: i64,
    /// When it was made, in the viewer's zone.
    pub made: String,
    /// The company has transcription on (a call without a transcript may
    /// be queued).
    pub company_on: bool,
    /// Download transcript is offered (Access to Download Recordings).
    pub can_download: bool,
}

/// One speaker's stretch of the call.
pub(crate) struct Line {
    pub party: u8,
    pub speaker: String,
    /// `1:23` and in seconds.
    pub at: String,
    pub at_seconds: f64,
    pub words: Vec<Word>,
}

pub(crate) struct Word {
    pub text: String,
    pub from: f64,
    pub to: f64,
    pub redacted: bool,
}

/// The panel for `recording` (already found in the viewer's scope); a
/// transcript shown is audited.
pub(crate) async fn panel(
    state: &AppState,
    current: &CurrentUser,
    client: &str,
    recording: &Recording,
    company_on: bool,
) -> Result<TranscriptPanel, AppError> {
    let view = transcript_of(&state.store, &state.data_keys, recording, current.now).await?;
    let lines = match &view.transcript {
        Some(transcript) => {
            record_transcript_reading(
                &state.store,
                &current.audit_context(client),
                &current.session_hash,
                recording,
                TranscriptReading::Read,
            )
            .await?;
            transcript
                .segments()
                .iter()
                .map(|segment| Line {
                    party: segment.party,
                    speaker: speaker_name(recording, segment.party),
                    at: clock_text(i64::from(segment.start_ms)),
                    at_seconds: f64::from(segment.start_ms) / 1000.0,
                    words: segment
                        .words
                        .iter()
                        .map(|w| Word {
                            redacted: w.text == callrec_domain::redaction::REDACTED,
                            text: w.text.trim().to_string(),
                            from: f64::from(w.start_ms) / 1000.0,
                            to: f64::from(w.end_ms) / 1000.0,
                        })
                        .collect(),
                })
                .collect()
        }
        None => Vec::new(),
    };
    Ok(TranscriptPanel {
        status: view.status,
        lines,
        redacted: view.redacted,
        made: view
            .created_at
            .map(|at| current.zone.format_minutes(at))
            .unwrap_or_default(),
        company_on,
        can_download: current.actor.can(Role::DownloadRecordings),
    })
}

/// `GET /recordings/{id}/transcript?format=text|vtt`: Download transcript.
pub(crate) async fn download(
    State(state): State<AppState>,
    current: CurrentUser,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
    QueryData(query): QueryData,
) -> Result<Response, AppError> {
    // A file that leaves the portal, like the audio's download.
    require(&current, Role::DownloadRecordings)?;
    let recording = find(&state, &current, &id).await?;
    let view = transcript_of(&state.store, &state.data_keys, &recording, current.now).await?;
    let transcript = view.transcript.ok_or_else(|| {
        AppError::BadRequest(
            "This call has no transcript to download yet: its page says where it stands.".into(),
        )
    })?;
    record_transcript_reading(
        &state.store,
        &current.audit_context(&client),
        &current.session_hash,
        &recording,
        TranscriptReading::Download,
    )
    .await?;
    let speaker = |party: u8| speaker_name(&recording, party);
    let (body, content_type, extension) = match query.get("format") {
        "vtt" => (transcript.webvtt(speaker), "text/vtt; charset=utf-8", "vtt"),
        _ => (
            transcript.plain_text(speaker),
            "text/plain; charset=utf-8",
            "txt",
        ),
    };
    let audio_name = download_name(
        recording.started_at_ms,
        recording.direction,
        recording.calling_number.as_str(),
        recording.called_number.as_str(),
        recording.format,
    );
    let stem = audio_name
        .rsplit_once('.')
        .map_or(audio_name.as_str(), |(stem, _)| stem);
    let disposition = format!("attachment; filename=\"{stem}_transcript.{extension}\"");
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition)?,
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body,
    )
        .into_response())
}

/// `POST /recordings/{id}/transcript`: Retry (a failed transcript) or
/// Transcribe this call (one recorded before transcription was on).
pub(crate) async fn queue(
    State(state): State<AppState>,
    current: CurrentUser,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    require(&current, Role::Recordings)?;
    let recording = find(&state, &current, &id).await?;
    queue_again(
        &state.store,
        &recording,
        Some(&current.actor),
        &current.audit_context(&client),
    )
    .await?;
    let back =
        crate::form::query_string([("back", form.get("back")), ("done", "transcript-queued")]);
    Ok(Redirect::to(&format!(
        "/recordings/{}{back}#transcript-title",
        recording.id
    ))
    .into_response())
}
