//! The JSON API under `/api/v1`: ingest, and reads of everything a person
//! can read in the portal, each with an API token's scope. Errors are JSON
//! with a stable `code`, never HTML. The description (`openapi.rs`) is made
//! from these handlers and types, so it cannot drift from them.

mod audit;
mod caller;
pub(crate) use caller::ApiCaller;
mod directory;
mod docs;
mod ingest;
mod notes;
mod openapi;
mod params;
mod recordings;
mod transcripts;

use crate::error::{AppError, Refusal};
use crate::urls::Route;
use crate::AppState;
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use callrec_domain::ValidationError;
use serde::Serialize;
use utoipa::ToSchema;

pub(crate) fn routes(max_upload_bytes: u64) -> Router<AppState> {
    // Room for the metadata and multipart framing around the largest audio.
    let limit = usize::try_from(max_upload_bytes)
        .unwrap_or(usize::MAX)
        .saturating_add(1024 * 1024);
    Router::new()
        .route(
            Route::ApiRecordings.path(),
            post(ingest::ingest)
                .layer(DefaultBodyLimit::max(limit))
                .get(recordings::list),
        )
        .route(Route::ApiRecording.path(), get(recordings::one))
        .route(Route::ApiRecordingAudio.path(), get(recordings::audio))
        .route(
            Route::ApiRecordingNotes.path(),
            get(notes::list)
                .post(notes::add)
                .layer(DefaultBodyLimit::max(64 * 1024)),
        )
        .route(Route::ApiRecordingTranscript.path(), get(transcripts::one))
        .route(Route::ApiUsers.path(), get(directory::users))
        .route(Route::ApiTeams.path(), get(directory::teams))
        .route(Route::ApiAudit.path(), get(audit::entries))
        .route(Route::ApiDescription.path(), get(openapi::description))
        .route(Route::ApiDocs.path(), get(docs::page))
        // Unknown API addresses answer JSON too, not the portal's page.
        .route(
            Route::ApiUnknown.path(),
            get(|| async { ApiError::not_found() }),
        )
}

/// One field at fault.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct FieldError {
    pub field: String,
    pub message: String,
}

/// An API error: the portal's [`AppError`], said as JSON with a stable
/// code. Its status is the one `AppError::status` gives the pages too.
#[derive(Debug)]
pub(crate) struct ApiError(AppError);

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::refused(status, code, message, Vec::new(), None)
    }

    fn refused(
        status: StatusCode,
        code: &'static str,
        message: impl Into<String>,
        fields: Vec<ValidationError>,
        retry_after: Option<i64>,
    ) -> ApiError {
        ApiError(AppError::Refused(Box::new(Refusal {
            status,
            code,
            message: message.into(),
            fields,
            retry_after,
        })))
    }

    pub fn invalid(errors: Vec<ValidationError>) -> ApiError {
        let message = "The metadata has errors; see fields.";
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        ApiError::refused(status, "invalid_metadata", message, errors, None)
    }

    /// A note that cannot be kept as sent.
    pub fn invalid_note(errors: Vec<ValidationError>) -> ApiError {
        let message = "The note has errors; see fields.";
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        ApiError::refused(status, "invalid_note", message, errors, None)
    }

    /// Query parameters that do not parse.
    pub fn bad_parameters(errors: Vec<ValidationError>) -> ApiError {
        let message = "Some parameters are not valid; see fields.";
        let status = StatusCode::BAD_REQUEST;
        ApiError::refused(status, "invalid_parameters", message, errors, None)
    }

    /// No such thing for this token: unknown, another company's, or out
    /// of the token's scopes. The three look the same.
    pub fn not_found() -> ApiError {
        ApiError(AppError::NotFound)
    }

    pub fn rate_limited(wait: i64, per_minute: i64) -> ApiError {
        let message = format!(
            "This token has made its {per_minute} requests for this minute; retry after {wait} seconds."
        );
        let status = StatusCode::TOO_MANY_REQUESTS;
        ApiError::refused(
            status,
            "rate_limited",
            message,
            Vec::new(),
            Some(wait.max(1)),
        )
    }

    pub fn internal(err: impl std::fmt::Display) -> ApiError {
        ApiError(AppError::Internal(err.to_string()))
    }
}

impl From<callrec_store::StoreError> for ApiError {
    fn from(err: callrec_store::StoreError) -> Self {
        ApiError(AppError::from(err))
    }
}

impl From<AppError> for ApiError {
    fn from(err: AppError) -> Self {
        ApiError(err)
    }
}

/// Every error the API answers.
#[derive(Serialize, ToSchema)]
pub(crate) struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Serialize, ToSchema)]
struct ErrorDetail<'a> {
    /// Stable: what scripts test for (`unauthorized`, `not_found`,
    /// `rate_limited`, `invalid_parameters`, …).
    code: &'a str,
    /// For people.
    message: &'a str,
    #[serde(skip_serializing_if = "<[FieldError]>::is_empty")]
    fields: &'a [FieldError],
}

/// What the API says for an error: its code, message, fields at fault and
/// how long to wait.
struct Said<'a> {
    code: &'static str,
    message: String,
    fields: &'a [ValidationError],
    retry_after: Option<i64>,
}

impl ApiError {
    /// The stable code of this error (metrics label it too).
    pub fn code(&self) -> &'static str {
        self.said().code
    }

    /// The status: the pages' (`AppError::status`), but for input a
    /// script can correct, which the API has always answered 400.
    fn status(&self) -> StatusCode {
        match &self.0 {
            AppError::Invalid(_) => StatusCode::BAD_REQUEST,
            other => other.status(),
        }
    }

    fn said(&self) -> Said<'_> {
        let plain = |code, message: String| Said {
            code,
            message,
            fields: &[],
            retry_after: None,
        };
        match &self.0 {
            AppError::Refused(refusal) => Said {
                code: refusal.code,
                message: refusal.message.clone(),
                fields: &refusal.fields,
                retry_after: refusal.retry_after,
            },
            AppError::NotFound => plain(
                "not_found",
                "Nothing here for this token: check the address, and that the token has the scope it needs.".into(),
            ),
            AppError::Busy => plain("busy", "The portal is busy; retry in a moment.".into()),
            AppError::Invalid(error) => Said {
                code: "invalid_parameters",
                message: "Some parameters are not valid; see fields.".into(),
                fields: std::slice::from_ref(error),
                retry_after: None,
            },
            AppError::Forbidden | AppError::CrossSite => {
                plain("forbidden", "This token may not do that.".into())
            }
            AppError::BadRequest(message) => plain("bad_request", message.clone()),
            AppError::Conflict(message) => plain("conflict", message.clone()),
            AppError::TooMany(message) => plain("too_many", message.to_string()),
            _ => plain(
                "internal",
                "The request could not be completed; try again.".into(),
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let said = self.said();
        if said.code == "internal" {
            // The detail goes to the log, never to the caller.
            let err = &self.0;
            tracing::error!(error = %err, cause = ?std::error::Error::source(err), "API request failed");
        }
        let fields: Vec<FieldError> = said
            .fields
            .iter()
            .map(|e| FieldError {
                field: e.field.to_string(),
                message: e.message.clone(),
            })
            .collect();
        let body = ErrorBody {
            error: ErrorDetail {
                code: said.code,
                message: &said.message,
                fields: &fields,
            },
        };
        let retry_after = said.retry_after;
        let mut response = (status, Json(body)).into_response();
        let headers = response.headers_mut();
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(wait) = retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(wait));
        }
        response
    }
}
