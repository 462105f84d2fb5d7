//! Every request runs in a span carrying a request id, its route and (once
//! known) its user's id; the response repeats the id in `X-Request-Id`
//! and error pages show it, so a user's report and the log meet. Behind a
//! trusted proxy (`CALLREC_TRUSTED_PROXIES`) the proxy's `X-Request-Id` is
//! kept, so its log and ours share the id. One access-log line per request
//! names the route template (`/recordings/{id}`), never the path or query
//! (numbers people searched for stay out of the log), and the same route
//! and status count in the metrics (`metrics.rs`).

use crate::AppState;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use rand::RngCore;
use std::net::SocketAddr;
use std::time::Instant;
use tracing::Instrument;

tokio::task_local! {
    /// The id of the request this task serves (for error pages).
    static REQUEST_ID: String;
}

/// The id of the request being served, if any.
pub(crate) fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// 64 random bits as hex: unique enough to find one request in a log (not
/// a secret, so the thread's generator, without a system call).
fn new_request_id() -> String {
    let mut bytes = [0u8; 8];
    rand::thread_rng().fill_bytes(&mut bytes);
    callrec_domain::hex::hex(&bytes)
}

/// A proxy's id is kept if it is short and plain (it goes into logs and
/// pages): 1 to 64 letters, digits, '-', '_' or '.'.
fn acceptable_id(value: &HeaderValue) -> Option<String> {
    let text = value.to_str().ok()?;
    let plain = (1..=64).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    plain.then(|| text.to_string())
}

pub(crate) async fn trace(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let from_proxy = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .is_some_and(|peer| state.config.trusted_proxies.trusts(peer.0.ip()));
    let id = from_proxy
        .then(|| {
            request
                .headers()
                .get("x-request-id")
                .and_then(acceptable_id)
        })
        .flatten()
        .unwrap_or_else(new_request_id);
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |path| path.as_str())
        .to_string();
    let method = request.method().clone();
    let span = tracing::info_span!(
        "request",
        id = %id,
        method = %method,
        route = %route,
        user = tracing::field::Empty,
    );
    let started = Instant::now();
    let mut response = REQUEST_ID
        .scope(id.clone(), next.run(request).instrument(span.clone()))
        .await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    span.in_scope(|| {
        tracing::info!(
            target: "callrec::access",
            status,
            ms = elapsed.as_secs_f64() * 1000.0,
            "served"
        );
    });
    crate::metrics::request_served(method.as_str(), &route, status, elapsed);
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}
