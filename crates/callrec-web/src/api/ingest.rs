//! `POST /api/v1/recordings`: metadata and audio in one multipart request,
//! authorised by a company's API token. The work is `crate::ingest`'s.

use super::ApiError;
use crate::security::ClientAddr;
use crate::AppState;
use axum::extract::multipart::{MultipartError, MultipartRejection};
use axum::extract::{Multipart, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use callrec_app::ingest::{parse_metadata, store_recording, IngestError, Source};
use callrec_app::token_hash;
use callrec_domain::ValidationError;
use callrec_store::{ApiToken, BlobWriter, Recording};
use serde_json::json;

async fn authorise(state: &AppState, headers: &HeaderMap) -> Result<ApiToken, ApiError> {
    let unauthorized = || {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Send a valid API token as Authorization: Bearer <token>.",
        )
    };
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 200)
        .ok_or_else(unauthorized)?;
    state
        .store
        .api_token(&token_hash(token))
        .await?
        .ok_or_else(unauthorized)
}

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
        }
    }
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

fn body(recording: &Recording, existing: bool) -> serde_json::Value {
    json!({
        "id": recording.id.as_str(),
        "sha256": recording.sha256,
        "size_bytes": recording.size_bytes,
        "format": recording.format.code(),
        "duration_ms": recording.duration_ms,
        "started_at_ms": recording.started_at_ms,
        "existing": existing,
    })
}

pub(crate) async fn ingest(
    state: State<AppState>,
    client: ClientAddr,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    let result = receive(state, client, headers, multipart).await;
    match &result {
        Ok((true, bytes, _)) => crate::metrics::ingested("created", *bytes),
        Ok((false, _, _)) => crate::metrics::ingested("existing", 0),
        Err(err) => crate::metrics::ingested(err.code, 0),
    }
    result.map(|(_, _, response)| response)
}

/// Takes one upload: whether it made a recording, its audio's size, and
/// the answer.
async fn receive(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(bool, u64, Response), ApiError> {
    let token = authorise(&state, &headers).await?;
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
        company: token.company_id,
        client: &client,
        description: format!("API token {:?}", token.name),
        now: state.now(),
    };
    let ingested = store_recording(
        &state.store,
        &state.blobs,
        &state.data_keys,
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
