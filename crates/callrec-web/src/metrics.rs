//! Prometheus metrics, served as text at `GET /metrics` on their own
//! listen address (`CALLREC_METRICS_LISTEN`, off by default), never on the
//! portal's port. Counted as they happen: requests by route template and
//! status with their latency, sign-ins and MFA codes by result, throttle
//! refusals, ingest results and bytes, the purge job's removals and the
//! integrity checks of served audio. Read at each scrape: database
//! connections in use and mail waiting in the outbox. With metrics off no
//! recorder is installed and every count is skipped.

use crate::server::{serve, ConnectionTimeouts};
use crate::urls::Route;
use crate::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use callrec_app::mfa::{CodeOutcome, WrongCodeKind};
use callrec_app::records::purge::PurgeReport;
use callrec_app::sign_in::SignIn;
use callrec_domain::throttle::SignInReason;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::time::Duration;
use tokio::net::TcpListener;

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
static ON: AtomicBool = AtomicBool::new(false);

/// Latency buckets, seconds: a page is ~3 ms, a sign-in ~100 ms (Argon2id),
/// a download up to minutes.
const BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 60.0,
];

/// Installs the process's recorder (once; every node of a test process
/// shares it).
fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &BUCKETS)
            .expect("the buckets are not empty")
            .build_recorder();
        let handle = recorder.handle();
        // Nothing else in callrec installs one; if something did, it stays.
        let _ = metrics::set_global_recorder(recorder);
        describe();
        ON.store(true, Ordering::Relaxed);
        handle
    })
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(
        "callrec_http_requests_total",
        "HTTP requests by method, route and status"
    );
    describe_histogram!(
        "callrec_http_request_duration_seconds",
        Unit::Seconds,
        "Time to answer an HTTP request (to the response's headers), by method and route"
    );
    describe_counter!(
        "callrec_sso_sign_ins_total",
        "Sign-ins through companies' identity providers, by result"
    );
    describe_counter!(
        "callrec_sign_ins_total",
        "Password steps of sign-in by result"
    );
    describe_counter!(
        "callrec_mfa_codes_total",
        "MFA codes and security-key answers by result"
    );
    describe_counter!(
        "callrec_throttle_refusals_total",
        "Attempts refused because a limit was reached, by limit"
    );
    describe_counter!(
        "callrec_ingest_total",
        "Recordings sent to the ingest API, by result"
    );
    describe_counter!(
        "callrec_ingest_bytes_total",
        Unit::Bytes,
        "Audio bytes of recordings stored by the ingest API"
    );
    describe_counter!(
        "callrec_purged_recordings_total",
        "Recordings removed by the purge job, by reason"
    );
    describe_counter!(
        "callrec_purged_files_total",
        "Audio files removed by the purge job"
    );
    describe_counter!(
        "callrec_audio_checks_total",
        "Served audio checked against its SHA-256 from ingest, by result"
    );
    describe_gauge!(
        "callrec_db_connections_in_use",
        "Database connections lent out, by pool"
    );
    describe_gauge!(
        "callrec_db_connections_open",
        "Database connections open, by pool"
    );
    describe_gauge!(
        "callrec_db_connections_max",
        "Most database connections, by pool"
    );
    describe_gauge!(
        "callrec_mail_queue_length",
        "Mail in the outbox not yet sent nor given up"
    );
    describe_gauge!(
        "callrec_transcription_queue_length",
        "Recordings waiting for a transcript (all nodes)"
    );
    describe_gauge!(
        "callrec_transcription_failed",
        "Recordings whose transcript was given up (all nodes)"
    );
    describe_counter!(
        "callrec_transcribed_audio_seconds_total",
        Unit::Seconds,
        "Seconds of call audio this node transcribed"
    );
    describe_counter!(
        "callrec_transcribing_seconds_total",
        Unit::Seconds,
        "Seconds this node spent transcribing (audio seconds over these: audio seconds per second)"
    );
    describe_counter!(
        "callrec_transcription_tries_total",
        "Transcription tries on this node, by outcome"
    );
}

fn on() -> bool {
    ON.load(Ordering::Relaxed)
}

pub(crate) fn request_served(method: &str, route: &str, status: u16, elapsed: Duration) {
    if !on() {
        return;
    }
    // A fixed set: hyper accepts any token as a method, and each new one
    // would be a new series (memory without bound).
    let method = match method {
        "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS" => method,
        _ => "other",
    };
    let (method, route) = (method.to_owned(), route.to_owned());
    metrics::counter!(
        "callrec_http_requests_total",
        "method" => method.clone(),
        "route" => route.clone(),
        "status" => status.to_string()
    )
    .increment(1);
    metrics::histogram!("callrec_http_request_duration_seconds", "method" => method, "route" => route)
        .record(elapsed.as_secs_f64());
}

pub(crate) fn sign_in(outcome: &SignIn) {
    let result = match outcome {
        SignIn::Incomplete => "incomplete",
        SignIn::Refused => "refused",
        SignIn::Paused { .. } => {
            throttled("sign_in");
            "paused"
        }
        SignIn::Expired => "expired_password",
        SignIn::SsoRequired => "sso_required",
        SignIn::Accepted(_) => "accepted",
    };
    metrics::counter!("callrec_sign_ins_total", "result" => result).increment(1);
}

/// A sign-in through a company's identity provider: accepted, or refused
/// by why.
pub(crate) fn sso_sign_in(finished: &callrec_app::sso::login::Finished) {
    let result = match finished {
        callrec_app::sso::login::Finished::SignedIn { .. } => "accepted",
        callrec_app::sso::login::Finished::Linked { .. } => "linked",
        callrec_app::sso::login::Finished::Refused(failure) => failure.code(),
    };
    metrics::counter!("callrec_sso_sign_ins_total", "result" => result).increment(1);
}

pub(crate) fn mfa_code(outcome: &CodeOutcome) {
    let result = match outcome {
        CodeOutcome::Empty => "empty",
        CodeOutcome::Restart => "restart",
        CodeOutcome::Accepted(_) => "accepted",
        CodeOutcome::Wrong(WrongCodeKind::Invalid) => "invalid",
        CodeOutcome::Wrong(WrongCodeKind::Replayed) => "replayed",
        CodeOutcome::Wrong(WrongCodeKind::Key(_)) => "key_refused",
        CodeOutcome::Ended(reason) => {
            throttled(match reason {
                SignInReason::MfaLocked => "mfa_lock",
                _ => "mfa_attempts",
            });
            "ended"
        }
    };
    metrics::counter!("callrec_mfa_codes_total", "result" => result).increment(1);
}

/// An attempt refused by `limit` (sign_in, mfa_attempts, mfa_lock, …).
pub(crate) fn throttled(limit: &'static str) {
    metrics::counter!("callrec_throttle_refusals_total", "limit" => limit).increment(1);
}

/// An upload to the ingest API: `result` is created, existing, or the
/// error's code; `bytes` the audio stored.
pub(crate) fn ingested(result: &'static str, bytes: u64) {
    metrics::counter!("callrec_ingest_total", "result" => result).increment(1);
    if bytes > 0 {
        metrics::counter!("callrec_ingest_bytes_total").increment(bytes);
    }
}

pub(crate) fn purged(report: &PurgeReport) {
    metrics::counter!("callrec_purged_recordings_total", "reason" => "retention")
        .increment(report.expired);
    metrics::counter!("callrec_purged_recordings_total", "reason" => "deleted")
        .increment(report.deleted);
    metrics::counter!("callrec_purged_files_total").increment(report.files);
}

/// A transcription try on this node: its outcome, and for a transcript
/// kept, the seconds of audio heard and the seconds it took.
pub(crate) fn transcription_tried(outcome: &'static str, audio_ms: i64, elapsed: Duration) {
    metrics::counter!("callrec_transcription_tries_total", "outcome" => outcome).increment(1);
    if audio_ms > 0 {
        metrics::counter!("callrec_transcribed_audio_seconds_total")
            .increment((audio_ms / 1000) as u64);
        metrics::counter!("callrec_transcribing_seconds_total").increment(elapsed.as_secs());
    }
}

/// Served audio checked whole: intact, altered or unreadable.
pub(crate) fn audio_checked(result: &'static str) {
    metrics::counter!("callrec_audio_checks_total", "result" => result).increment(1);
}

async fn scrape(State(state): State<AppState>) -> impl IntoResponse {
    for stats in state.store.pool_stats() {
        metrics::gauge!("callrec_db_connections_in_use", "pool" => stats.pool)
            .set(stats.in_use as f64);
        metrics::gauge!("callrec_db_connections_open", "pool" => stats.pool).set(stats.open as f64);
        metrics::gauge!("callrec_db_connections_max", "pool" => stats.pool).set(stats.max as f64);
    }
    match state.store.count_mail_waiting().await {
        Ok(waiting) => metrics::gauge!("callrec_mail_queue_length").set(waiting as f64),
        Err(err) => tracing::warn!(error = %err, "metrics: could not count the mail outbox"),
    }
    match state.store.transcription_queue(None).await {
        Ok(counts) => {
            metrics::gauge!("callrec_transcription_queue_length").set(counts.queued as f64);
            metrics::gauge!("callrec_transcription_failed").set(counts.failed as f64);
        }
        Err(err) => {
            tracing::warn!(error = %err, "metrics: could not count the transcription queue")
        }
    }
    let handle = handle();
    handle.run_upkeep();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle.render(),
    )
}

/// Serves `GET /metrics` on `listener` for as long as the task runs.
pub(crate) async fn serve_metrics(
    listener: TcpListener,
    state: AppState,
    timeouts: ConnectionTimeouts,
) {
    handle();
    let app = Router::new()
        .route(Route::Metrics.path(), get(scrape))
        .with_state(state);
    serve(listener, app, timeouts, std::future::pending()).await;
}
