//! The web layer's one error type and its one mapping to HTTP: `status`
//! says what every failure is; pages render it as HTML (below), the API
//! as JSON (`api::ApiError`).

use crate::urls::Route;
use askama::Template;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use callrec_domain::{SignInStep, ValidationError};
use callrec_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Nothing here, or nothing the actor may see: the two look the same.
    #[error("not found")]
    NotFound,
    #[error("sign-in required")]
    SignInRequired,
    /// Signed in with a password, but MFA is still to be done.
    #[error("MFA required")]
    StepPending(SignInStep),
    /// In sight but out of the actor's reach (a peer's account, say).
    #[error("forbidden")]
    Forbidden,
    /// A cross-site request, refused before it reached a handler.
    #[error("cross-site request refused")]
    CrossSite,
    #[error("{0}")]
    BadRequest(String),
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error("{0}")]
    Conflict(String),
    /// The same user's heavy request of this kind is still running.
    #[error("{0}")]
    TooMany(&'static str),
    /// The database had no free connection in time: overload, not a bug.
    #[error("the portal is busy")]
    Busy,
    #[error(transparent)]
    Store(StoreError),
    #[error("page rendering failed: {0}")]
    Template(#[from] askama::Error),
    /// A response header made from a value it cannot hold.
    #[error("response header: {0}")]
    Header(#[from] axum::http::header::InvalidHeaderValue),
    /// A use case that failed through no fault of the request (its cause
    /// is kept for the log).
    #[error(transparent)]
    Failed(callrec_app::Error),
    /// A refusal with its own stable code and status (the API's: an
    /// unknown token, the rate limit, a body it cannot read, audio that
    /// fails its checks…).
    #[error("{}", .0.message)]
    Refused(Box<Refusal>),
    #[error("{0}")]
    Internal(String),
}

/// What [`AppError::Refused`] says.
#[derive(Debug)]
pub struct Refusal {
    pub status: StatusCode,
    /// Stable: what scripts test for.
    pub code: &'static str,
    pub message: String,
    /// The fields at fault, if any.
    pub fields: Vec<ValidationError>,
    /// Seconds to wait, for 429.
    pub retry_after: Option<i64>,
}

impl From<callrec_app::Error> for AppError {
    fn from(err: callrec_app::Error) -> Self {
        match err {
            callrec_app::Error::Invalid(error) => AppError::Invalid(error),
            callrec_app::Error::Store(error) => AppError::from(error),
            callrec_app::Error::Refused(message) => AppError::BadRequest(message),
            callrec_app::Error::Busy(_) => AppError::Busy,
            callrec_app::Error::NotAllowed => AppError::NotFound,
            callrec_app::Error::PresenceNeeded => AppError::BadRequest(
                "Confirm it's you (a code from your authenticator app, a security key or a recovery code), then try again.".into(),
            ),
            other => AppError::Failed(other),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Conflict { what } => AppError::Conflict(format!("{what} already exists")),
            StoreError::Busy => AppError::Busy,
            other => AppError::Store(other),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
    /// To quote when reporting the problem (it names the log's lines).
    request_id: Option<String>,
}

impl AppError {
    /// The status of every failure, pages and API alike.
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            AppError::Refused(refusal) => refusal.status,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::SignInRequired | AppError::StepPending(_) => StatusCode::SEE_OTHER,
            AppError::CrossSite | AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            AppError::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Store(_)
            | AppError::Template(_)
            | AppError::Header(_)
            | AppError::Failed(_)
            | AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            AppError::SignInRequired => return Redirect::to(Route::Login.path()).into_response(),
            AppError::StepPending(step) => {
                return Redirect::to(crate::session::step_path(step, Route::Home.path()))
                    .into_response()
            }
            _ => {}
        }
        let status = self.status();
        let (title, message) = match &self {
            AppError::NotFound => (
                "Page not found",
                "There is nothing here, or you do not have access to it.".to_string(),
            ),
            AppError::Forbidden => (
                "Not allowed",
                "You can change only users below your own level who hold no role you lack. Ask someone above them.".to_string(),
            ),
            AppError::CrossSite => (
                "Request refused",
                "This request came from another site and was refused. Go back to the portal and try again.".to_string(),
            ),
            AppError::BadRequest(message) | AppError::Conflict(message) => {
                ("Request not accepted", message.clone())
            }
            AppError::Invalid(err) => ("Request not accepted", err.message.clone()),
            AppError::Refused(refusal) => ("Request not accepted", refusal.message.clone()),
            AppError::TooMany(message) => ("Please wait", message.to_string()),
            AppError::Busy => (
                "The portal is busy",
                "Too many requests are waiting right now. Try again in a moment.".to_string(),
            ),
            AppError::Store(_)
            | AppError::Template(_)
            | AppError::Header(_)
            | AppError::Failed(_)
            | AppError::Internal(_) => {
                // The detail goes to the log, never to the browser.
                tracing::error!(error = %self, cause = ?std::error::Error::source(&self), "request failed");
                (
                    "Something went wrong",
                    "The portal could not complete this request. Try again in a moment; if it keeps happening, contact your administrator.".to_string(),
                )
            }
            AppError::SignInRequired | AppError::StepPending(_) => unreachable!("handled above"),
        };
        error_page(status, title, &message)
    }
}

pub(crate) fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    let body = ErrorPage {
        title,
        message,
        request_id: crate::trace::current_request_id(),
    }
    .render()
    .unwrap_or_else(|_| message.to_string());
    (status, [(header::CACHE_CONTROL, "no-store")], Html(body)).into_response()
}

pub(crate) async fn not_found() -> AppError {
    AppError::NotFound
}

/// A handler that panicked: a plain 500 page, never the panic message.
pub(crate) fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    error_page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "The portal could not complete this request.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        let busy = AppError::from(StoreError::Busy);
        assert_eq!(
            busy.into_response().status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(
            AppError::from(StoreError::NotFound)
                .into_response()
                .status(),
            StatusCode::NOT_FOUND
        );
        let conflict = AppError::from(StoreError::Conflict { what: "a team" });
        assert_eq!(conflict.into_response().status(), StatusCode::CONFLICT);
        let internal = AppError::Internal("secret detail".into()).into_response();
        assert_eq!(internal.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
