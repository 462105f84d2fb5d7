//! The JSON API. Errors are JSON with a stable `code`, never HTML.

mod ingest;

use crate::AppState;
use axum::extract::DefaultBodyLimit;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use callrec_domain::ValidationError;
use serde::Serialize;

/// The API's description, for clients and API testing tools.
const OPENAPI: &str = include_str!("openapi.json");

pub(crate) fn routes(max_upload_bytes: u64) -> Router<AppState> {
    // Room for the metadata and multipart framing around the largest audio.
    let limit = usize::try_from(max_upload_bytes)
        .unwrap_or(usize::MAX)
        .saturating_add(1024 * 1024);
    Router::new()
        .route(
            "/api/v1/recordings",
            post(ingest::ingest).layer(DefaultBodyLimit::max(limit)),
        )
        .route(
            "/api/v1/openapi.json",
            get(|| async { ([(header::CONTENT_TYPE, "application/json")], OPENAPI) }),
        )
}

#[derive(Debug, Serialize)]
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
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            fields: Vec::new(),
        }
    }

    pub fn invalid(errors: Vec<ValidationError>) -> ApiError {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "invalid_metadata",
            message: "The metadata has errors; see fields.".into(),
            fields: errors
                .into_iter()
                .map(|e| FieldError {
                    field: e.field.to_string(),
                    message: e.message,
                })
                .collect(),
        }
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
        match err {
            callrec_store::StoreError::Busy => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "The portal is busy; retry in a moment.",
            ),
            other => ApiError::internal(other),
        }
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
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
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}
