//! `/healthz`: the process answers. `/readyz`: and its database does too.

use crate::urls::Route;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use callrec_app::housekeeping;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(Route::Healthz.path(), get(|| async { "ok" }))
        .route(Route::Readyz.path(), get(ready))
}

/// Ready when the database answers. A node whose clock is more than 5 s
/// from the database server's is still ready, and says so (TOTP codes
/// fail between such nodes); so is one whose recording server is full.
async fn ready(State(state): State<AppState>) -> (StatusCode, String) {
    let (status, text) = ready_portal(&state).await;
    match state.capture.describe() {
        Some(capture) => (status, format!("{text}; {capture}")),
        None => (status, text),
    }
}

async fn ready_portal(state: &AppState) -> (StatusCode, String) {
    if let Err(err) = state.store.ping().await {
        tracing::warn!(error = %err, "readiness check failed");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "database unavailable".into(),
        );
    }
    match housekeeping::clock_drift(&state.store, state.clock.now_ms()).await {
        Ok(Some(offset)) => (
            StatusCode::OK,
            format!("ready; {}", housekeeping::drift_words(offset)),
        ),
        _ => (StatusCode::OK, "ready".into()),
    }
}
