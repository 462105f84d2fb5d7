//! Playing (with HTTP Range), downloading and deleting a recording. Each
//! route looks the recording up inside the user's scope first: outside it,
//! the recording does not exist (404).

use super::Filters;
use crate::error::{error_page, AppError};
use crate::form::FormData;
use crate::security::ClientAddr;
use crate::session::CurrentUser;
use crate::users::require;
use crate::AppState;
use axum::body::Body;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use callrec_app::integrity::{self, Integrity, READ_BYTES};
use callrec_app::records::bin;
use callrec_app::sealing::{open_audio, AudioReader, Opened};
use callrec_domain::hex::from_hex;
use callrec_domain::range::parse_range;
use callrec_domain::recording::{download_name, RecordingId};
use callrec_domain::throttle::ThrottleScope;
use callrec_domain::Role;
use callrec_store::{AuditAction, Binned, Recording, Reservation, ThrottleWindow};
use std::io::{Read, Seek};

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

async fn audit(
    state: &AppState,
    current: &CurrentUser,
    client: &str,
    action: AuditAction,
    recording: &Recording,
) -> Result<(), AppError> {
    let entry = current.audit_entry(client, action, recording.company_id, recording.id.as_str());
    state.store.audit(entry, state.now()).await?;
    Ok(())
}

/// The page for audio that failed its integrity check (already audited).
fn unavailable(integrity: Integrity) -> Response {
    let message = match integrity {
        Integrity::Missing => "The audio file of this recording is missing from storage. The failure has been recorded in the audit log; your administrator can check the storage with `callrec verify`.",
        _ => "The audio file of this recording is not the one that was recorded: its fingerprint (SHA-256) does not match. It is not served. The failure has been recorded in the audit log; tell your administrator.",
    };
    error_page(StatusCode::CONFLICT, "Recording unavailable", message)
}

async fn send_file(
    state: &AppState,
    current: &CurrentUser,
    client: &str,
    recording: &Recording,
    headers: &HeaderMap,
    attachment: bool,
) -> Result<Response, AppError> {
    let failed = |integrity| async move {
        let audit = current.audit_context(client);
        integrity::record_failure(&state.store, recording, integrity, &audit).await?;
        Ok::<_, AppError>(unavailable(integrity))
    };
    let reader = match open_audio(
        &state.store,
        &state.blobs,
        &state.data_keys,
        &recording.storage_key,
    )
    .await?
    {
        Opened::Audio(reader) => reader,
        Opened::Missing => return failed(Integrity::Missing).await,
        Opened::Malformed => return failed(Integrity::Altered).await,
    };
    let size = reader.len();
    let mut response_headers = HeaderMap::new();
    let content_type = HeaderValue::from_static(recording.format.mime_type());
    response_headers.insert(header::CONTENT_TYPE, content_type);
    response_headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    response_headers.insert(
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
        response_headers.insert(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_str(&disposition).map_err(|e| AppError::Internal(e.to_string()))?,
        );
    }
    let range = if attachment {
        None
    } else {
        parse_range(
            headers.get(header::RANGE).and_then(|v| v.to_str().ok()),
            size,
        )
    };
    // A whole file (a download, or a play that reads to the end from the
    // start) is checked against its fingerprint before it is sent.
    let whole = match &range {
        None => true,
        Some(Ok(range)) => range.start == 0 && range.end + 1 == size,
        Some(Err(_)) => false,
    };
    let mut reader = reader;
    if whole {
        // Hashed through the reader that is then streamed: a file swapped
        // under the path meanwhile cannot pass the check for another.
        let (matches, checked) = integrity::reader_matches(reader, &recording.sha256).await?;
        if !matches {
            return failed(Integrity::Altered).await;
        }
        reader = checked;
        let digest = STANDARD.encode(from_hex(&recording.sha256).unwrap_or_default());
        let repr = HeaderValue::from_str(&format!("sha-256=:{digest}:"))
            .map_err(|e| AppError::Internal(e.to_string()))?;
        response_headers.insert(HeaderName::from_static("repr-digest"), repr);
        let legacy = HeaderValue::from_str(&format!("sha-256={digest}"))
            .map_err(|e| AppError::Internal(e.to_string()))?;
        response_headers.insert(HeaderName::from_static("digest"), legacy);
    }
    match range {
        Some(Err(_)) => {
            let value = HeaderValue::from_str(&format!("bytes */{size}"))
                .map_err(|e| AppError::Internal(e.to_string()))?;
            response_headers.insert(header::CONTENT_RANGE, value);
            Ok((StatusCode::RANGE_NOT_SATISFIABLE, response_headers).into_response())
        }
        Some(Ok(range)) => {
            let length = range.end - range.start + 1;
            let value = format!("bytes {}-{}/{size}", range.start, range.end);
            response_headers.insert(
                header::CONTENT_RANGE,
                HeaderValue::from_str(&value).map_err(|e| AppError::Internal(e.to_string()))?,
            );
            response_headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
            let body = Body::from_stream(stream_audio(reader, range.start, length));
            Ok((StatusCode::PARTIAL_CONTENT, response_headers, body).into_response())
        }
        None => {
            response_headers.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
            // The size checked, not whatever was appended since.
            let body = Body::from_stream(stream_audio(reader, 0, size));
            Ok((StatusCode::OK, response_headers, body).into_response())
        }
    }
}

/// `length` bytes of `reader` from `start`, READ_BYTES at a time, each
/// read on a blocking thread. A read that fails (a sealed chunk that does
/// not open) breaks the response rather than ending it as if complete.
fn stream_audio(
    reader: AudioReader,
    start: u64,
    length: u64,
) -> impl futures_util::Stream<Item = std::io::Result<Bytes>> {
    futures_util::stream::unfold(Some((reader, start, length)), |state| async move {
        let (reader, at, left) = state?;
        if left == 0 {
            return None;
        }
        let read = tokio::task::spawn_blocking(move || {
            let mut reader = reader;
            let want = READ_BYTES.min(usize::try_from(left).unwrap_or(READ_BYTES));
            let mut buffer = vec![0u8; want];
            let result = reader
                .seek(std::io::SeekFrom::Start(at))
                .and_then(|_| reader.read(&mut buffer))
                .map(|n| {
                    buffer.truncate(n);
                    buffer
                });
            (reader, result)
        })
        .await;
        match read {
            Ok((reader, Ok(chunk))) if !chunk.is_empty() => {
                let n = chunk.len() as u64;
                Some((Ok(Bytes::from(chunk)), Some((reader, at + n, left - n))))
            }
            Ok((_, Ok(_))) => Some((Err(std::io::Error::other("the audio ended early")), None)),
            Ok((_, Err(err))) => {
                tracing::error!("audio stopped part-way: {err}");
                Some((Err(err), None))
            }
            Err(err) => Some((Err(std::io::Error::other(err)), None)),
        }
    })
}

/// One play entry per session and recording in this window.
const PLAY_AUDIT_WINDOW: ThrottleWindow = ThrottleWindow {
    seconds: 600,
    limit: 1,
};

/// What the audio is fetched for: the role it needs, how it is audited,
/// and whether it is sent as a file to save.
#[derive(Clone, Copy)]
enum Purpose {
    Play,
    Download,
}

async fn audio(
    state: &AppState,
    current: &CurrentUser,
    client: &str,
    id: &str,
    headers: &HeaderMap,
    purpose: Purpose,
) -> Result<Response, AppError> {
    let (role, action) = match purpose {
        Purpose::Play => (Role::Recordings, AuditAction::RecordingPlayed),
        Purpose::Download => (Role::DownloadRecordings, AuditAction::RecordingDownloaded),
    };
    require(current, role)?;
    let recording = find(state, current, id).await?;
    // Every response that may serve audio is covered by an entry written
    // before it. A player asks for many ranges, so a play is audited once
    // per session and recording within PLAY_AUDIT_WINDOW, whatever ranges it
    // asks for (security review, item 7); a download every time.
    let play_key = format!("{}:{}", current.session_hash, recording.id);
    let audited = match purpose {
        Purpose::Download => true,
        Purpose::Play => matches!(
            state
                .store
                .reserve_attempt(
                    ThrottleScope::PlayAudit,
                    &play_key,
                    state.now(),
                    PLAY_AUDIT_WINDOW
                )
                .await?,
            Reservation::Reserved(_)
        ),
    };
    if audited {
        if let Err(err) = audit(state, current, client, action, &recording).await {
            // No entry, no audio; and the next request tries the entry again.
            if matches!(purpose, Purpose::Play) {
                state
                    .store
                    .release_attempt(ThrottleScope::PlayAudit, &play_key)
                    .await?;
            }
            return Err(err);
        }
    }
    let attachment = matches!(purpose, Purpose::Download);
    send_file(state, current, client, &recording, headers, attachment).await
}

/// `GET /recordings/{id}/audio`, for the page's `<audio>` player.
pub(crate) async fn stream(
    State(state): State<AppState>,
    current: CurrentUser,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    audio(&state, &current, &client, &id, &headers, Purpose::Play).await
}

/// `GET /recordings/{id}/download`: the original bytes, as a file.
pub(crate) async fn download(
    State(state): State<AppState>,
    current: CurrentUser,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    audio(&state, &current, &client, &id, &headers, Purpose::Download).await
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
