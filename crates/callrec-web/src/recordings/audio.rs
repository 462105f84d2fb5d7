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
use callrec_app::audit::AuditContext;
use callrec_app::integrity::{self, Integrity, READ_BYTES};
use callrec_app::playback;
use callrec_app::records::bin;
use callrec_app::sealing::{open_audio, AudioReader, Opened};
use callrec_domain::hex::from_hex;
use callrec_domain::range::{parse_player_range, ByteRange, Reading, Unsatisfiable};
use callrec_domain::recording::{download_name, RecordingId};
use callrec_domain::Role;
use callrec_store::{Binned, Recording};
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

async fn send_file(
    state: &AppState,
    audit: &AuditContext,
    recording: &Recording,
    range: Option<Result<ByteRange, Unsatisfiable>>,
    attachment: bool,
) -> Result<Served, AppError> {
    let failed = |integrity| async move {
        crate::metrics::audio_checked(match integrity {
            Integrity::Missing => "missing",
            _ => "altered",
        });
        integrity::record_failure(&state.store, recording, integrity, audit).await?;
        Ok::<_, AppError>(Served::Unavailable(integrity))
    };
    let failure = || Failure {
        store: state.store.clone(),
        recording: recording.clone(),
        audit: audit.clone(),
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
            HeaderValue::from_str(&disposition)?,
        );
    }
    // A whole file (a download, however asked for) is checked against its
    // fingerprint before it is sent.
    let whole = Reading::of(range, size) == Reading::Download;
    let mut reader = reader;
    // A whole sealed file is checked as it streams (`stream_checked`),
    // its first piece opened before the response; a plain one is hashed
    // first, through the reader that is then streamed (a file swapped
    // under the path meanwhile cannot pass the check for another).
    let mut sealed_first = None;
    if whole {
        if reader.is_sealed() {
            match read_piece(reader, 0, size).await {
                (Some(back), Ok(first)) => {
                    reader = back;
                    sealed_first = Some(first);
                }
                _ => return failed(Integrity::Altered).await,
            }
        } else {
            let (matches, checked) = integrity::reader_matches(reader, &recording.sha256).await?;
            if !matches {
                return failed(Integrity::Altered).await;
            }
            crate::metrics::audio_checked("intact");
            reader = checked;
        }
        let digest = STANDARD.encode(from_hex(&recording.sha256).unwrap_or_default());
        let repr = HeaderValue::from_str(&format!("sha-256=:{digest}:"))?;
        response_headers.insert(HeaderName::from_static("repr-digest"), repr);
        let legacy = HeaderValue::from_str(&format!("sha-256={digest}"))?;
        response_headers.insert(HeaderName::from_static("digest"), legacy);
    }
    match range {
        Some(Err(_)) => {
            let value = HeaderValue::from_str(&format!("bytes */{size}"))?;
            response_headers.insert(header::CONTENT_RANGE, value);
            Ok(Served::Audio(
                (StatusCode::RANGE_NOT_SATISFIABLE, response_headers).into_response(),
            ))
        }
        Some(Ok(range)) => {
            let length = range.end - range.start + 1;
            let value = format!("bytes {}-{}/{size}", range.start, range.end);
            response_headers.insert(header::CONTENT_RANGE, HeaderValue::from_str(&value)?);
            response_headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
            let body = match sealed_first {
                Some(first) => Body::from_stream(stream_checked(reader, first, size, failure())),
                None => Body::from_stream(stream_audio(reader, range.start, length)),
            };
            Ok(Served::Audio(
                (StatusCode::PARTIAL_CONTENT, response_headers, body).into_response(),
            ))
        }
        None => {
            response_headers.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
            // The size checked, not whatever was appended since.
            let body = match sealed_first {
                Some(first) => Body::from_stream(stream_checked(reader, first, size, failure())),
                None => Body::from_stream(stream_audio(reader, 0, size)),
            };
            Ok(Served::Audio(
                (StatusCode::OK, response_headers, body).into_response(),
            ))
        }
    }
}

/// Up to READ_BYTES of `reader` from `at` (fewer only at the end), read on
/// a blocking thread; the reader comes back with them.
async fn read_piece(
    reader: AudioReader,
    at: u64,
    left: u64,
) -> (Option<AudioReader>, std::io::Result<Vec<u8>>) {
    let read = tokio::task::spawn_blocking(move || {
        let mut reader = reader;
        let want = READ_BYTES.min(usize::try_from(left).unwrap_or(READ_BYTES));
        let mut buffer = vec![0u8; want];
        // Filled whole (a sealed file reads a chunk at a time): one hop to
        // the blocking pool per READ_BYTES.
        let result = reader.seek(std::io::SeekFrom::Start(at)).and_then(|_| {
            let mut filled = 0;
            while filled < want {
                match reader.read(&mut buffer[filled..])? {
                    0 => break,
                    n => filled += n,
                }
            }
            buffer.truncate(filled);
            Ok(buffer)
        });
        (reader, result)
    })
    .await;
    match read {
        Ok((reader, Ok(piece))) if piece.is_empty() && left > 0 => (
            Some(reader),
            Err(std::io::Error::other("the audio ended early")),
        ),
        Ok((reader, result)) => (Some(reader), result),
        Err(err) => (None, Err(std::io::Error::other(err))),
    }
}

/// `length` bytes of `reader` from `start`, READ_BYTES at a time. A read
/// that fails (a sealed chunk that does not open) breaks the response
/// rather than ending it as if complete.
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
        match read_piece(reader, at, left).await {
            (Some(reader), Ok(piece)) => {
                let n = piece.len() as u64;
                Some((Ok(Bytes::from(piece)), Some((reader, at + n, left - n))))
            }
            (_, result) => {
                let why = result
                    .err()
                    .map_or_else(|| "a read failed".to_string(), |e| e.to_string());
                tracing::error!("audio stopped part-way: {why}");
                Some((
                    Err(std::io::Error::other("the audio stopped part-way")),
                    None,
                ))
            }
        }
    })
}

/// What a sealed whole-file stream does when the file turns out not to be
/// the recording: audit it, as the check before sending would have.
struct Failure {
    store: callrec_store::Store,
    recording: Recording,
    audit: callrec_app::audit::AuditContext,
}

impl Failure {
    async fn record(self) {
        crate::metrics::audio_checked("altered");
        if let Err(err) = integrity::record_failure(
            &self.store,
            &self.recording,
            Integrity::Altered,
            &self.audit,
        )
        .await
        {
            tracing::error!("could not audit an integrity failure: {err}");
        }
    }
}

/// A whole sealed file in one pass: every chunk is authenticated as it is
/// opened, the recorded bytes are hashed as they go, and the last piece is
/// sent only once the whole matches the fingerprint; otherwise the
/// transfer breaks (and is audited) instead of completing. Sealed audio is
/// opened once, where checking first and then sending opened it twice
/// (docs/BENCHMARKS.md, download).
fn stream_checked(
    reader: AudioReader,
    first: Vec<u8>,
    size: u64,
    failure: Failure,
) -> impl futures_util::Stream<Item = std::io::Result<Bytes>> {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    hasher.update(&first);
    let at = first.len() as u64;
    let sha256 = failure.recording.sha256.clone();
    let state = Some((reader, at, size - at, hasher, first, failure));
    futures_util::stream::unfold(state, move |state| {
        let sha256 = sha256.clone();
        async move {
            let (reader, at, left, mut hasher, held, failure) = state?;
            if left == 0 {
                if callrec_domain::hex::hex(&hasher.finalize()) == sha256 {
                    crate::metrics::audio_checked("intact");
                    return Some((Ok(Bytes::from(held)), None));
                }
                failure.record().await;
                return Some((
                    Err(std::io::Error::other("the audio is not the recording")),
                    None,
                ));
            }
            match read_piece(reader, at, left).await {
                (Some(reader), Ok(piece)) => {
                    hasher.update(&piece);
                    let n = piece.len() as u64;
                    Some((
                        Ok(Bytes::from(held)),
                        Some((reader, at + n, left - n, hasher, piece, failure)),
                    ))
                }
                _ => {
                    failure.record().await;
                    Some((
                        Err(std::io::Error::other("the audio stopped part-way")),
                        None,
                    ))
                }
            }
        }
    })
}

/// The `Range` a request for audio carries, as sent.
pub(crate) fn range_header(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::RANGE).and_then(|v| v.to_str().ok())
}

/// Serves a recording's audio (`range` of it) to a reader already allowed
/// to have it: `audit` names them, and `reader_key` tells their plays
/// apart (a session, or an API token). Every response that may serve
/// audio is covered by an entry written before it
/// (`callrec_app::playback`).
pub(crate) async fn serve_audio(
    state: &AppState,
    audit: &AuditContext,
    reader_key: &str,
    recording: &Recording,
    range: Option<Result<ByteRange, Unsatisfiable>>,
    attachment: bool,
) -> Result<Served, AppError> {
    let size = u64::try_from(recording.size_bytes).unwrap_or(0);
    let reading = Reading::of(range, size);
    playback::record_reading(&state.store, audit, reader_key, recording, reading).await?;
    send_file(state, audit, recording, range, attachment).await
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
