//! `POST /api/v1/recordings`: metadata and audio in one multipart request,
//! authorised by a company's API token. The work is `crate::ingest`'s.

use super::caller::ApiCaller;
use super::params::DirectionParam;
use super::{ApiError, ErrorBody};
use crate::AppState;
use axum::extract::multipart::{MultipartError, MultipartRejection};
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use callrec_app::ingest::{parse_metadata, store_recording, IngestError, Source};
use callrec_domain::api_scope::ApiScope;
use callrec_domain::audit::AuditAction;
use callrec_domain::ValidationError;
use callrec_store::{BlobWriter, Recording};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

impl From<IngestError> for ApiError {
    fn from(err: IngestError) -> Self {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        match err {
            IngestError::Invalid(errors) => ApiError::invalid(errors),
            IngestError::EmptyAudio => {
                ApiError::new(status, "empty_audio", "The audio part is empty.")
            }
            IngestError::UnsupportedAudio => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_audio",
                err.to_string(),
            ),
            IngestError::TruncatedAudio { .. } => {
                ApiError::new(status, "truncated_audio", err.to_string())
            }
            IngestError::DamagedAudio(message) => ApiError::new(status, "damaged_audio", message),
            IngestError::Store(err) => ApiError::internal(err),
            IngestError::Io(err) => ApiError::internal(err),
            IngestError::NotAllowed => ApiError::not_found(),
        }
    }
}

/// The metadata part: the call's facts (`callrec_app::ingest` checks it).
#[derive(ToSchema, Deserialize)]
#[allow(dead_code)] // describes the part; `parse_metadata` reads it
pub(crate) struct Metadata {
    /// When the call started (RFC 3339).
    #[schema(format = DateTime)]
    started_at: String,
    #[schema(inline)]
    direction: DirectionParam,
    /// Calling number: digits and + * # (spaces, dashes, brackets and dots are dropped).
    #[schema(
        min_length = 1,
        max_length = 32,
        pattern = "^[0-9+*#() .-]*[0-9+*#][0-9+*#() .-]*$"
    )]
    from: String,
    /// Called number, as `from`.
    #[schema(
        min_length = 1,
        max_length = 32,
        pattern = "^[0-9+*#() .-]*[0-9+*#][0-9+*#() .-]*$"
    )]
    to: String,
    /// Read from WAV audio when missing; required for MP3 and Ogg.
    #[schema(minimum = 0, maximum = 86400000)]
    duration_ms: Option<i64>,
    /// The extension the call was on; without `username`, the recording
    /// goes to the company's user with this Extension (Users → Modify).
    #[schema(max_length = 32, pattern = "^[0-9+*#() .-]*$")]
    extension: Option<String>,
    /// A user of the token's company.
    username: Option<String>,
    /// A team of the token's company; defaults to the user's team.
    team: Option<String>,
    /// Unique per company; makes retries idempotent.
    #[schema(max_length = 128)]
    external_id: Option<String>,
}

/// `POST /api/v1/recordings`'s body: these two parts and no others (an
/// unknown part is refused, `unknown_part`).
#[derive(ToSchema, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // describes the request; read part by part
pub(crate) struct IngestForm {
    metadata: Metadata,
    /// WAV, MP3 or Ogg audio.
    #[schema(value_type = String, format = Binary)]
    audio: Vec<u8>,
}

/// The stored recording.
#[derive(Serialize, ToSchema)]
pub(crate) struct Ingested {
    #[schema(pattern = "^[0-9a-f]{32}$")]
    id: String,
    #[schema(pattern = "^[0-9a-f]{64}$")]
    sha256: String,
    size_bytes: i64,
    /// wav, mp3 or ogg.
    format: &'static str,
    duration_ms: i64,
    /// Unix milliseconds, UTC.
    started_at_ms: i64,
    /// Stored before under this external_id.
    existing: bool,
}

const MAX_METADATA_BYTES: usize = 64 * 1024;

fn multipart_error(err: MultipartError) -> ApiError {
    let status = err.status();
    let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
        "too_large"
    } else {
        "bad_multipart"
    };
    ApiError::new(
        status,
        code,
        format!("The multipart body could not be read: {}", err.body_text()),
    )
}

fn body(recording: &Recording, existing: bool) -> Ingested {
    Ingested {
        id: recording.id.as_str().to_string(),
        sha256: recording.sha256.clone(),
        size_bytes: recording.size_bytes,
        format: recording.format.code(),
        duration_ms: recording.duration_ms,
        started_at_ms: recording.started_at_ms,
        existing,
    }
}

/// Store a recording: metadata and audio in one multipart request. The
/// audio is checked by its content (WAV, MP3, Ogg), stored durably, and
/// only then acknowledged with 201. The same `external_id` again answers
/// 200 with the existing recording.
#[utoipa::path(
    post,
    path = "/api/v1/recordings",
    tag = "Ingest",
    security(("token" = ["ingest"])),
    request_body(content = IngestForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Stored", body = Ingested),
        (status = 200, description = "Already stored under this external_id", body = Ingested),
        (status = 400, description = "Not multipart, or an unknown part (bad_multipart, unknown_part)", body = ErrorBody),
        (status = 401, description = "Missing, unknown, revoked or expired token (unauthorized)", body = ErrorBody),
        (status = 404, description = "The token lacks the ingest scope (not_found)", body = ErrorBody),
        (status = 413, description = "Audio over the size limit (too_large)", body = ErrorBody),
        (status = 415, description = "Audio that is not WAV, MP3 or Ogg by content (unsupported_audio)", body = ErrorBody),
        (status = 422, description = "Bad metadata (invalid_metadata, with fields), empty, damaged or truncated audio", body = ErrorBody),
        (status = 429, description = "Over the token's rate limit (rate_limited); see Retry-After", body = ErrorBody,
            headers(("Retry-After" = i64, description = "Seconds to wait"))),
        (status = 503, description = "The portal is busy (busy)", body = ErrorBody),
    )
)]
pub(crate) async fn ingest(
    state: State<AppState>,
    caller: Result<ApiCaller, ApiError>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    let result = match caller {
        Ok(caller) => receive(state, caller, multipart).await,
        Err(err) => Err(err),
    };
    match &result {
        Ok((true, bytes, _)) => crate::metrics::ingested("created", *bytes),
        Ok((false, _, _)) => crate::metrics::ingested("existing", 0),
        Err(err) => crate::metrics::ingested(err.code(), 0),
    }
    result.map(|(_, _, response)| response)
}

/// Takes one upload: whether it made a recording, its audio's size, and
/// the answer.
async fn receive(
    State(state): State<AppState>,
    caller: ApiCaller,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(bool, u64, Response), ApiError> {
    let grant = caller.require(ApiScope::Ingest)?;
    let mut multipart = multipart.map_err(|err| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_multipart",
            format!("Send multipart/form-data with parts metadata and audio ({err})."),
        )
    })?;
    let mut metadata_text: Option<String> = None;
    let mut audio: Option<BlobWriter> = None;
    let limit = state.config.max_upload_bytes;
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        match field.name() {
            Some("metadata") => {
                let mut text = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                    text.extend_from_slice(&chunk);
                    if text.len() > MAX_METADATA_BYTES {
                        return Err(ApiError::new(
                            StatusCode::PAYLOAD_TOO_LARGE,
                            "too_large",
                            "The metadata part is over 64 KiB.",
                        ));
                    }
                }
                let text = String::from_utf8(text).map_err(|_| {
                    ApiError::invalid(vec![ValidationError::new("metadata", "must be UTF-8 JSON")])
                })?;
                metadata_text = Some(text);
            }
            Some("audio") => {
                let mut writer = state.blobs.writer().await.map_err(ApiError::internal)?;
                while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                    if writer.size() + chunk.len() as u64 > limit {
                        let message = format!("The audio is over the limit of {limit} bytes.");
                        return Err(ApiError::new(
                            StatusCode::PAYLOAD_TOO_LARGE,
                            "too_large",
                            message,
                        ));
                    }
                    writer.write(&chunk).await.map_err(ApiError::internal)?;
                }
                audio = Some(writer);
            }
            other => {
                let message = format!(
                    "Unknown part {:?}: send only metadata and audio.",
                    other.unwrap_or("")
                );
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "unknown_part",
                    message,
                ));
            }
        }
    }
    let (metadata_text, audio) = match (metadata_text, audio) {
        (Some(metadata), Some(audio)) => (metadata, audio),
        (metadata, audio) => {
            let mut missing = Vec::new();
            if metadata.is_none() {
                missing.push(ValidationError::new("metadata", "is required"));
            }
            if audio.is_none() {
                missing.push(ValidationError::new("audio", "is required"));
            }
            return Err(ApiError::invalid(missing));
        }
    };
    let metadata = parse_metadata(&metadata_text)?;
    let source = Source {
        company: grant.company,
        audit: caller.audit(),
        description: format!("API token {:?}", caller.token.name),
        action: AuditAction::RecordingIngested,
    };
    let ingested = store_recording(
        &state.store,
        &state.blobs,
        &state.data_keys,
        callrec_app::Caller::Token(grant),
        &source,
        &metadata,
        audio,
    )
    .await?;
    let status = if ingested.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let response = (status, Json(body(&ingested.recording, !ingested.created))).into_response();
    let size = u64::try_from(ingested.recording.size_bytes).unwrap_or(0);
    Ok((ingested.created, size, response))
}
