//! `GET /recordings/{id}/waveform`: what the player draws, as JSON: the
//! call's length, its waveform peaks (one lane a channel) and who each
//! lane is. Inside the viewer's scope like the audio; not audited, as the
//! peaks say when someone spoke, not what.

use super::audio::find;
use crate::error::AppError;
use crate::session::{require, CurrentUser};
use crate::AppState;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use callrec_domain::recording::Direction;
use callrec_domain::Role;
use callrec_store::Recording;
use serde::Serialize;

#[derive(Serialize)]
struct Waveform {
    duration_ms: i64,
    /// Each lane's name and its peaks, 0–255 (none: nothing to draw).
    lanes: Vec<Lane>,
}

#[derive(Serialize)]
struct Lane {
    label: String,
    peaks: Vec<u8>,
}

/// Who is on each channel: a stereo recorder keeps the calling party on
/// the first and the called party on the second. The user's side is the
/// Agent; the other, the Caller (inbound) or the Called number (outbound).
fn party_labels(recording: &Recording, channels: usize) -> Vec<String> {
    let agent = |number: &str| match &recording.username {
        Some(user) => format!("Agent · {user} ({number})"),
        None => format!("Agent · {number}"),
    };
    let (calling, called) = (
        recording.calling_number.as_str(),
        recording.called_number.as_str(),
    );
    let both = match recording.direction {
        Direction::Inbound => [format!("Caller · {calling}"), agent(called)],
        Direction::Outbound => [agent(calling), format!("Called · {called}")],
        Direction::Internal => [format!("Calling · {calling}"), format!("Called · {called}")],
    };
    match channels {
        2 => both.to_vec(),
        _ => vec![format!("{calling} → {called}")],
    }
}

pub(super) async fn waveform(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    require(&current, Role::Recordings)?;
    let recording = find(&state, &current, &id).await?;
    let peaks = state.store.audio_peaks(&recording.storage_key).await?;
    let channels = peaks.as_ref().map_or(1, |p| p.channels().len());
    let lanes = party_labels(&recording, channels)
        .into_iter()
        .enumerate()
        .map(|(i, label)| Lane {
            label,
            peaks: peaks
                .as_ref()
                .and_then(|p| p.channels().get(i).cloned())
                .unwrap_or_default(),
        })
        .collect();
    let body = Waveform {
        duration_ms: recording.duration_ms,
        lanes,
    };
    Ok(Json(body).into_response())
}
