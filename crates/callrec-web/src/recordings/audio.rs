//! Playing (with HTTP Range), downloading and deleting a recording. Each
//! route looks the recording up inside the user's scope first: outside it,
//! the recording does not exist (404).

use super::Filters;
use crate::error::{error_page, AppError};
use crate::form::FormData;
use crate::security::ClientAddr;
use crate::session::require;
use crate::session::CurrentUser;
use crate::AppState;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use callrec_app::audit::AuditContext;
use callrec_app::integrity::Integrity;
use callrec_app::playback::{self, Playback};
use callrec_app::records::bin;
use callrec_domain::hex::from_hex;
use callrec_domain::range::{parse_player_range, ByteRange, Reading, Unsatisfiable};
use callrec_domain::recording::{download_name, RecordingId};
use callrec_domain::Role;
use callrec_store::{Binned, Recording};

pub(super) async fn find(
    state: &AppState,
    current: &CurrentUser,
    id: &str,
) -> Result<Recording, AppError> {
    let id = RecordingId::parse(id).ok_or(AppError::NotFound)?;
    state
        .store
        .recording_in_scope(&id, current.actor.scope())
        .await?
        .ok_or(AppError::NotFound)
}

/// The page for audio that failed its integrity check (already audited).
fn unavailable(integrity: Integrity) -> Response {
    let message = match integrity {
        Integrity::Missing => "The audio file of this recording is missing from storage. The failure has been recorded in the audit log; your administrator can check the storage with `callrec verify`.",
        _ => "The audio file of this recording is not the one that was recorded: its fingerprint (SHA-256) does not match. It is not served. The failure has been recorded in the audit log; tell your administrator.",
    };
    error_page(StatusCode::CONFLICT, "Recording unavailable", message)
}

/// What a request for audio got: the audio (or a range of it), or the
/// integrity failure that kept it from being served (already audited),
/// for the page or the API to say in its own way.
pub(crate) enum Served {
    Audio(Response),
    Unavailable(Integrity),
}

/// The `Range` a request for audio carries, as sent.
pub(crate) fn range_header(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::RANGE).and_then(|v| v.to_str().ok())
}

/// Serves a recording's audio (`range` of it) to a reader already allowed
/// to have it: `audit` names them, and `reader_key` tells their plays
/// apart (a session, or an API token). What is audited, checked and
/// streamed is `callrec_app::playback`'s; this is the HTTP around it.
pub(crate) async fn serve_audio(
    state: &AppState,
    audit: &AuditContext,
    reader_key: &str,
    recording: &Recording,
    range: Option<Result<ByteRange, Unsatisfiable>>,
    attachment: bool,
) -> Result<Served, AppError> {
    let reading = Reading::of(range, u64::try_from(recording.size_bytes).unwrap_or(0));
    let source = playback::Source {
        store: &state.store,
        blobs: &state.blobs,
        keys: &state.data_keys,
        checked: |integrity| crate::metrics::audio_checked(integrity.code()),
    };
    let ready = match playback::open_reading(&source, recording, reading, reader_key, audit).await?
    {
        Playback::Ready(ready) => ready,
        Playback::Unavailable(integrity) => return Ok(Served::Unavailable(integrity)),
    };
    let size = ready.size();
    let mut headers = HeaderMap::new();
    let content_type = HeaderValue::from_static(recording.format.mime_type());
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    if attachment {
        let name = download_name(
            recording.started_at_ms,
            recording.direction,
            recording.calling_number.as_str(),
            recording.called_number.as_str(),
            recording.format,
        );
        let disposition = format!("attachment; filename=\"{name}\"");
        headers.insert(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_str(&disposition)?,
        );
    }
    if reading == Reading::Download {
        // The fingerprint the whole file is (or, sealed, is being) checked
        // against.
        let digest = STANDARD.encode(from_hex(&recording.sha256).unwrap_or_default());
        let repr = HeaderValue::from_str(&format!("sha-256=:{digest}:"))?;
        headers.insert(HeaderName::from_static("repr-digest"), repr);
        let legacy = HeaderValue::from_str(&format!("sha-256={digest}"))?;
        headers.insert(HeaderName::from_static("digest"), legacy);
    }
    let (status, body) = match range {
        Some(Err(_)) => {
            let value = HeaderValue::from_str(&format!("bytes */{size}"))?;
            headers.insert(header::CONTENT_RANGE, value);
            return Ok(Served::Audio(
                (StatusCode::RANGE_NOT_SATISFIABLE, headers).into_response(),
            ));
        }
        Some(Ok(range)) => {
            let length = range.end - range.start + 1;
            let value = format!("bytes {}-{}/{size}", range.start, range.end);
            headers.insert(header::CONTENT_RANGE, HeaderValue::from_str(&value)?);
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
            (
                StatusCode::PARTIAL_CONTENT,
                ready.stream(range.start, length),
            )
        }
        None => {
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
            (StatusCode::OK, ready.stream(0, size))
        }
    };
    let body = Body::from_stream(body);
    Ok(Served::Audio((status, headers, body).into_response()))
}

/// The page's audio: `attachment` for Download, else the player's parts.
async fn audio(
    state: &AppState,
    current: &CurrentUser,
    client: &str,
    id: &str,
    headers: &HeaderMap,
    attachment: bool,
) -> Result<Response, AppError> {
    require(
        current,
        if attachment {
            Role::DownloadRecordings
        } else {
            Role::Recordings
        },
    )?;
    let recording = find(state, current, id).await?;
    let size = u64::try_from(recording.size_bytes).unwrap_or(0);
    // The player is answered a window at a time; the whole file (Download,
    // or a player asked for all of it) needs Access to Download Recordings.
    let range = if attachment {
        None
    } else {
        parse_player_range(range_header(headers), size)
    };
    if Reading::of(range, size) == Reading::Download {
        require(current, Role::DownloadRecordings)?;
    }
    let audit = current.audit_context(client);
    let served = serve_audio(
        state,
        &audit,
        &current.session_hash,
        &recording,
        range,
        attachment,
    )
    .await?;
    Ok(match served {
        Served::Audio(response) => response,
        Served::Unavailable(integrity) => unavailable(integrity),
    })
}

/// `GET /recordings/{id}/audio`, for the page's player.
pub(crate) async fn stream(
    State(state): State<AppState>,
    current: CurrentUser,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    audio(&state, &current, &client, &id, &headers, false).await
}

/// `GET /recordings/{id}/download`: the original bytes, as a file.
pub(crate) async fn download(
    State(state): State<AppState>,
    current: CurrentUser,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    audio(&state, &current, &client, &id, &headers, true).await
}

/// `POST /recordings/{id}/delete`, from the confirm pop-up.
pub(crate) async fn delete(
    State(state): State<AppState>,
    current: CurrentUser,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    require(&current, Role::DeleteRecordings)?;
    let recording = find(&state, &current, &id).await?;
    let audit = current.audit_context(&client);
    match bin::delete(&state.store, &recording, current.actor.scope(), &audit).await? {
        Binned::Moved => {}
        Binned::NotFound => return Err(AppError::NotFound),
        Binned::Held => {
            return Err(AppError::Conflict(
                "This recording is on legal hold: nobody can delete it until someone with Access to Legal Hold releases the hold (its details page says why it is held).".into(),
            ))
        }
    }
    let filters = Filters::from_query(&form);
    Ok(Redirect::to(&format!(
        "/recordings{}",
        filters.query_string(&[("done", "recording-deleted")])
    ))
    .into_response())
}
