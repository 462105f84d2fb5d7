//! Sign-in and sign-out.

use crate::error::AppError;
use crate::form::{FormData, QueryData};
use crate::security::ClientAddr;
use crate::session::{clear_cookie, start_session, MaybeUser};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use callrec_domain::network;
use callrec_domain::throttle::{SignInReason, ThrottleScope};
use callrec_domain::SignInStep;
use callrec_store::{AuditAction, NewAuditEntry, Reservation, ThrottleWindow};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(log_in))
        .route("/logout", post(log_out))
}

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage<'a> {
    username: &'a str,
    error: Option<String>,
}

fn render_login(
    status: StatusCode,
    username: &str,
    error: Option<String>,
) -> Result<Response, AppError> {
    let page = LoginPage { username, error }.render()?;
    Ok((status, Html(page)).into_response())
}

/// Why the sign-in page is shown again, named by code (`?reason=`).
fn reason_text(code: &str) -> Option<String> {
    SignInReason::from_code(code).map(|reason| reason.message().to_string())
}

async fn login_page(
    MaybeUser(current): MaybeUser,
    QueryData(query): QueryData,
) -> Result<Response, AppError> {
    match current {
        Some(current) if current.sign_in_step() == SignInStep::SignedIn => {
            Ok(Redirect::to(current.actor.home()).into_response())
        }
        // Half-way through MFA, the sign-in page starts over.
        _ => render_login(StatusCode::OK, "", reason_text(query.get("reason"))),
    }
}

/// The one message for every failed sign-in, so nobody learns which
/// usernames exist or which accounts are disabled.
const INVALID: &str = "Invalid username or password";

/// Longer input is refused before any hashing: nobody's password is this long.
const MAX_INPUT_BYTES: usize = 1024;

async fn log_in(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    MaybeUser(previous): MaybeUser,
    form: FormData,
) -> Result<Response, AppError> {
    let username = form.get("username").trim();
    let password = form.get("password");
    if username.is_empty() || password.is_empty() {
        return render_login(
            StatusCode::UNPROCESSABLE_ENTITY,
            username,
            Some("Enter your username and password.".into()),
        );
    }
    if username.len() > MAX_INPUT_BYTES || password.len() > MAX_INPUT_BYTES {
        return render_login(StatusCode::UNAUTHORIZED, "", Some(INVALID.into()));
    }
    let account_key = callrec_domain::names::lookup_key(username);
    // IPv6 clients are counted per /64 (`network::throttle_key`).
    let client_key = client
        .parse()
        .map_or_else(|_| client.clone(), network::throttle_key);
    let limits = [
        (
            ThrottleScope::SignInAccount,
            account_key.as_str(),
            state.config.sign_in_per_account,
        ),
        (
            ThrottleScope::SignInClient,
            client_key.as_str(),
            state.config.sign_in_per_client,
        ),
    ];
    let now = state.now();

    // Each attempt takes its place in both windows before the password is
    // checked, so N parallel attempts check at most the limit (one
    // conditional write each); a successful one gives its places back.
    let mut counts = [0; 2];
    for (i, (scope, key, window)) in limits.iter().enumerate() {
        match state
            .store
            .reserve_attempt(*scope, key, now, *window)
            .await?
        {
            Reservation::Reserved(count) => counts[i] = count,
            Reservation::Refused { wait } => {
                for (scope, key, _) in &limits[..i] {
                    state.store.release_attempt(*scope, key).await?;
                }
                let minutes = (wait + 59) / 60;
                return render_login(
                    StatusCode::TOO_MANY_REQUESTS,
                    username,
                    Some(format!(
                        "Too many failed sign-in attempts. Try again in {minutes} minute{}.",
                        if minutes == 1 { "" } else { "s" }
                    )),
                );
            }
        }
    }

    let credentials = state.store.credentials(username).await?;
    let password_ok = state
        .passwords
        .verify(
            credentials.as_ref().map(|(_, hash)| hash.as_str()),
            password,
        )
        .await?;

    let (user, hash) = match credentials {
        Some((user, hash)) if password_ok && user.enabled => (user, hash),
        other => {
            let (company, reason) = match &other {
                None => (None, "unknown username"),
                Some((user, _)) if !user.enabled => (Some(user.company_id), "account disabled"),
                Some((user, _)) => (Some(user.company_id), "wrong password"),
            };
            let mut entry = NewAuditEntry::new(AuditAction::SignInFailed)
                .target(username)
                .client(&client)
                .details(reason);
            entry.company_id = company;
            state.store.audit(entry, now).await?;
            // The failure that fills a window is the one entry saying so:
            // refused attempts after it write nothing (item 10).
            for ((scope, _, window), count) in limits.iter().zip(counts) {
                if count == window.limit {
                    audit_throttled(&state, username, &client, *scope, *window, now).await?;
                }
            }
            return render_login(StatusCode::UNAUTHORIZED, username, Some(INVALID.into()));
        }
    };

    // Only this attempt's places are given back: wiping the count would let
    // guesses racing beside a right password through (security review,
    // item 2). Earlier failures expire with their window.
    for (scope, key, _) in &limits {
        state.store.release_attempt(*scope, key).await?;
    }
    if state.passwords.needs_rehash(&hash) {
        // Old settings: the hash is replaced while the password is at hand,
        // unless it changed meanwhile.
        let new_hash = state.passwords.hash(password).await?;
        state
            .store
            .replace_password_hash(user.id, &hash, &new_hash)
            .await?;
    }
    // A new id at every sign-in: a session id planted before sign-in is worthless.
    if let Some(previous) = previous {
        state.store.delete_session(&previous.session_hash).await?;
    }
    let cookie = start_session(&state, &user, &client, false).await?;
    state
        .store
        .audit(
            NewAuditEntry::new(AuditAction::SignInSucceeded)
                .actor(user.id, &user.username)
                .company(user.company_id)
                .target(&user.username)
                .client(&client),
            now,
        )
        .await?;
    // With MFA required, the session is only half signed in: every page
    // leads to the MFA pop-up until a code is accepted.
    let next = match user.sign_in_step(false) {
        SignInStep::SignedIn => user.actor().home(),
        SignInStep::Register | SignInStep::EnterCode => "/mfa",
    };
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to(next)).into_response())
}

async fn audit_throttled(
    state: &AppState,
    username: &str,
    client: &str,
    scope: ThrottleScope,
    window: ThrottleWindow,
    now: i64,
) -> Result<(), AppError> {
    state
        .store
        .audit(
            NewAuditEntry::new(AuditAction::SignInThrottled)
                .target(username)
                .client(client)
                .details(format!(
                    "{} failures per {} within {} s",
                    window.limit,
                    scope.label(),
                    window.seconds
                )),
            now,
        )
        .await?;
    Ok(())
}

async fn log_out(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    MaybeUser(current): MaybeUser,
) -> Result<Response, AppError> {
    if let Some(current) = current {
        state.store.delete_session(&current.session_hash).await?;
        state
            .store
            .audit(
                current.audit_entry(
                    &client,
                    AuditAction::SignedOut,
                    current.user.company_id,
                    &current.user.username,
                ),
                state.now(),
            )
            .await?;
    }
    Ok((
        [(header::SET_COOKIE, clear_cookie(&state)?)],
        Redirect::to("/login"),
    )
        .into_response())
}
