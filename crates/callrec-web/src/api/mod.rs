//! The JSON API under `/api/v1`: ingest, and reads of everything a person
//! can read in the portal, each with an API token's scope. Errors are JSON
//! with a stable `code`, never HTML. The description (`openapi.rs`) is made
//! from these handlers and types, so it cannot drift from them.

mod audit;
mod caller;
mod directory;
mod docs;
mod ingest;
mod openapi;
mod params;
mod recordings;

use crate::error::AppError;
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

/// An API error: status, stable code, message, and the fields at fault.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub fields: Vec<FieldError>,
    /// Seconds to wait, for 429.
    pub retry_after: Option<i64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            fields: Vec::new(),
            retry_after: None,
        }
    }

    fn with_fields(mut self, errors: Vec<ValidationError>) -> ApiError {
        self.fields = errors
            .into_iter()
            .map(|e| FieldError {
                field: e.field.to_string(),
                message: e.message,
            })
            .collect();
        self
    }

    pub fn invalid(errors: Vec<ValidationError>) -> ApiError {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_metadata",
            "The metadata has errors; see fields.",
        )
        .with_fields(errors)
    }

    /// Query parameters that do not parse.
    pub fn bad_parameters(errors: Vec<ValidationError>) -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_parameters",
            "Some parameters are not valid; see fields.",
        )
        .with_fields(errors)
    }

    /// No such thing for this token: unknown, another company's, or out
    /// of the token's scopes. The three look the same.
    pub fn not_found() -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "Nothing here for this token: check the address, and that the token has the scope it needs.",
        )
    }

    pub fn rate_limited(wait: i64, per_minute: i64) -> ApiError {
        let mut error = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("This token has made its {per_minute} requests for this minute; retry after {wait} seconds."),
        );
        error.retry_after = Some(wait.max(1));
        error
    }

    pub fn internal(err: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %err, "API request failed");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "The request could not be completed; try again.",
        )
    }
}

impl From<callrec_store::StoreError> for ApiError {
    fn from(err: callrec_store::StoreError) -> Self {
        ApiError::from(AppError::from(err))
    }
}

/// The portal's errors, as the API says them: one mapping.
impl From<AppError> for ApiError {
    fn from(err: AppError) -> Self {
        match err {
            AppError::NotFound => ApiError::not_found(),
            AppError::Busy => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "The portal is busy; retry in a moment.",
            ),
            AppError::Invalid(error) => ApiError::bad_parameters(vec![error]),
            AppError::BadRequest(message) => {
                ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
            }
            AppError::Conflict(message) => ApiError::new(StatusCode::CONFLICT, "conflict", message),
            other => ApiError::internal(other),
        }
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

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: &self.message,
                fields: &self.fields,
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        let headers = response.headers_mut();
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(wait) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(wait));
        }
        response
    }
}
