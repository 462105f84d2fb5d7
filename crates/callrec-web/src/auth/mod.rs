//! Sign-in and sign-out.

use crate::error::AppError;
use crate::form::{FormData, QueryData};
use crate::security::ClientAddr;
use crate::session::{clear_cookie, start_session, step_path, MaybeUser};
use crate::urls::Route;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use callrec_app::sessions;
use callrec_app::sign_in::{sign_in, SignIn, SignInLimits, MAX_INPUT_BYTES};
use callrec_domain::throttle::SignInReason;
use callrec_domain::{SessionFacts, SignInStep};

mod sso;

pub(crate) use sso::link_sso;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(Route::Login.path(), get(login_page).post(log_in))
        .route(Route::SsoStart.path(), post(sso::start))
        .route(Route::SsoCallback.path(), get(sso::callback))
        .route(Route::Logout.path(), post(log_out))
}

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage<'a> {
    view: LoginView<'a>,
    /// Mail is configured: offer "Forgotten your password?".
    forgotten: bool,
    /// Some company signs in through its identity provider: offer "Sign
    /// in with single sign-on".
    sso: bool,
}

/// What the sign-in page shows besides its forms.
#[derive(Default)]
pub(crate) struct LoginView<'a> {
    pub(crate) username: &'a str,
    pub(crate) error: Option<String>,
    pub(crate) notice: Option<&'static str>,
    /// The work email typed for single sign-on, and why it did not go on.
    pub(crate) sso_email: &'a str,
    pub(crate) sso_error: Option<String>,
}

async fn render_login(
    state: &AppState,
    status: StatusCode,
    username: &str,
    error: Option<String>,
) -> Result<Response, AppError> {
    let view = LoginView {
        username,
        error,
        ..LoginView::default()
    };
    render_login_page(state, status, view).await
}

/// The sign-in page as `view` says, answered with `status`.
pub(crate) async fn render_login_page(
    state: &AppState,
    status: StatusCode,
    view: LoginView<'_>,
) -> Result<Response, AppError> {
    // A refusal of single sign-on is shown beside its form, even when no
    // company offers it any more (one was just disabled).
    let sso = state.config.public_url.is_some()
        && (view.sso_error.is_some() || state.store.sso_offered().await?);
    let page = LoginPage {
        view,
        forgotten: state.config.mail.is_some(),
        sso,
    }
    .render()?;
    Ok((status, Html(page)).into_response())
}

async fn login_page(
    State(state): State<AppState>,
    MaybeUser(current): MaybeUser,
    QueryData(query): QueryData,
) -> Result<Response, AppError> {
    match current {
        Some(current) if current.sign_in_step() == SignInStep::SignedIn => {
            Ok(Redirect::to(current.actor.home()).into_response())
        }
        // Half-way through MFA, the sign-in page starts over.
        _ => {
            // Why the sign-in page is shown again, named by code (`?reason=`).
            let reason = SignInReason::from_code(query.get("reason"));
            let (error, notice) = match reason {
                Some(reason) if reason.is_notice() => (None, Some(reason.message())),
                Some(reason) => (Some(reason.message().to_string()), None),
                None => (None, None),
            };
            let view = LoginView {
                error,
                notice,
                ..LoginView::default()
            };
            render_login_page(&state, StatusCode::OK, view).await
        }
    }
}

/// The one message for every failed sign-in, so nobody learns which
/// usernames exist or which accounts are disabled.
const INVALID: &str = "Invalid username or password";

async fn log_in(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    MaybeUser(previous): MaybeUser,
    form: FormData,
) -> Result<Response, AppError> {
    let username = form.get("username").trim();
    let limits = SignInLimits {
        per_account: state.config.sign_in_per_account,
        per_client: state.config.sign_in_per_client,
        notify: state.config.mail.is_some(),
    };
    let outcome = sign_in(
        &state.store,
        &state.passwords,
        limits,
        username,
        form.get("password"),
        &client,
        state.now(),
    )
    .await?;
    crate::metrics::sign_in(&outcome);
    let user =
        match outcome {
            SignIn::Accepted(user) => user,
            SignIn::Incomplete => {
                return render_login(
                    &state,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    username,
                    Some("Enter your username and password.".into()),
                ).await
            }
            SignIn::Refused => {
                // Input too long to be anyone's is not shown back.
                let too_long = username.len() > MAX_INPUT_BYTES
                    || form.get("password").len() > MAX_INPUT_BYTES;
                let shown = if too_long { "" } else { username };
                return render_login(
                    &state,
                    StatusCode::UNAUTHORIZED,
                    shown,
                    Some(INVALID.into()),
                ).await;
            }
            SignIn::Expired => return render_login(
                &state,
                StatusCode::UNAUTHORIZED,
                username,
                Some(
                    "Your temporary password has expired. Ask your administrator to set a new one."
                        .into(),
                ),
            ).await,
            SignIn::SsoRequired => return render_login(
                &state,
                StatusCode::FORBIDDEN,
                username,
                Some(
                    "Your company signs in through its identity provider. Use Sign in with single sign-on below."
                        .into(),
                ),
            ).await,
            SignIn::Paused { minutes } => {
                return render_login(
                    &state,
                    StatusCode::TOO_MANY_REQUESTS,
                    username,
                    Some(format!(
                        "Too many failed sign-in attempts. Try again in {minutes} minute{}.",
                        if minutes == 1 { "" } else { "s" }
                    )),
                ).await
            }
        };
    // A new id at every sign-in: a session id planted before sign-in is worthless.
    let previous = previous.as_ref().map(|p| p.session_hash.as_str());
    let cookie = start_session(&state, &user, previous, &client, SessionFacts::default()).await?;
    // With MFA required, the session is only half signed in: every page
    // leads to the MFA pop-up until a code is accepted.
    let next = step_path(
        user.sign_in_step(SessionFacts::default(), state.now()),
        user.actor().home(),
    );
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to(next)).into_response())
}

async fn log_out(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    MaybeUser(current): MaybeUser,
) -> Result<Response, AppError> {
    if let Some(current) = current {
        let audit = current.audit_context(&client);
        sessions::sign_out(&state.store, &current.user, &current.session_hash, &audit).await?;
    }
    Ok((
        [(header::SET_COOKIE, clear_cookie(&state)?)],
        Redirect::to(Route::Login.path()),
    )
        .into_response())
}
