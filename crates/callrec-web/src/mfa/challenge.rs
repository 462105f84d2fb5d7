//! The pop-ups between password and portal: register an authenticator
//! (ready → QR code → code) or enter a code. The work and the limits are
//! `callrec_app::mfa`'s; this renders them.

use super::recovery::{CodesAfterRegistration, CodesView};
use crate::error::AppError;
use crate::form::{FormData, QueryData};
use crate::security::ClientAddr;
use crate::session::{clear_cookie, start_session, step_path, CurrentUser, PendingUser};
use crate::urls::Route;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use callrec_app::mfa::{self, AfterCode, CodeOutcome, CodeStage};
use callrec_app::sessions;
use callrec_domain::totp::{otpauth_uri, PhoneClock, TotpSecret};
use callrec_domain::{SessionFacts, SignInStep};

/// Which pop-up is showing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    /// "Have your authenticator application ready" → Continue.
    Ready,
    /// The QR code and the key as text → Continue.
    Scan,
    /// The first code, proving the scan worked.
    ConfirmCode,
    /// A code from an already registered authenticator.
    Verify,
    /// One of the user's recovery codes instead.
    Recovery,
}

#[derive(Template)]
#[template(path = "mfa/challenge.html")]
struct ChallengePage {
    stage: Stage,
    error: Option<String>,
    qr_code: String,
    key: String,
    issuer: String,
    username: String,
    /// An authenticator application is registered: its code is asked for.
    has_totp: bool,
    /// Security keys are registered (and usable here): "Use security key".
    has_keys: bool,
}

fn render(
    state: &AppState,
    current: &CurrentUser,
    stage: Stage,
    error: Option<String>,
    secret: Option<&TotpSecret>,
) -> Result<Response, AppError> {
    let (qr_code, key) = match secret {
        Some(secret) => {
            let uri = otpauth_uri(&state.config.mfa.issuer, &current.user.username, secret);
            (qr_data_uri(&uri)?, secret.grouped())
        }
        None => (String::new(), String::new()),
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = ChallengePage {
        stage,
        error,
        qr_code,
        key,
        issuer: state.config.mfa.issuer.clone(),
        username: current.user.username.clone(),
        has_totp: current.user.totp_registered,
        has_keys: current.user.security_keys > 0 && state.security_keys.is_some(),
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// An SVG QR code with its quiet zone, as a data URI for an `<img>`.
fn qr_data_uri(uri: &str) -> Result<String, AppError> {
    let code = qrcode::QrCode::with_error_correction_level(uri, qrcode::EcLevel::M)
        .map_err(|err| AppError::Internal(format!("QR code: {err}")))?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build();
    Ok(format!(
        "data:image/svg+xml;base64,{}",
        STANDARD.encode(svg)
    ))
}

pub(crate) async fn challenge_page(
    State(state): State<AppState>,
    PendingUser(current): PendingUser,
    QueryData(query): QueryData,
) -> Result<Response, AppError> {
    match current.sign_in_step() {
        step @ (SignInStep::SignedIn | SignInStep::ChoosePassword) => {
            Ok(Redirect::to(step_path(step, current.actor.home())).into_response())
        }
        SignInStep::EnterCode if query.get("use") == "recovery" => {
            render(&state, &current, Stage::Recovery, None, None)
        }
        SignInStep::EnterCode => render(&state, &current, Stage::Verify, None, None),
        SignInStep::Register => {
            let pending =
                mfa::pending_secret(state.mfa(), &current.user, &current.session_hash).await?;
            match (query.get("step"), pending) {
                ("scan", Some(secret)) => {
                    render(&state, &current, Stage::Scan, None, Some(&secret))
                }
                ("code", Some(_)) => render(&state, &current, Stage::ConfirmCode, None, None),
                // No pending secret (or the first visit): start at the beginning.
                _ => render(&state, &current, Stage::Ready, None, None),
            }
        }
    }
}

/// Continue on "have your authenticator application ready".
pub(crate) async fn start_registration(
    State(state): State<AppState>,
    PendingUser(current): PendingUser,
    ClientAddr(client): ClientAddr,
) -> Result<Response, AppError> {
    if current.sign_in_step() != SignInStep::Register {
        return Ok(Redirect::to(Route::Mfa.path()).into_response());
    }
    mfa::start_registration(
        state.mfa(),
        &current.user,
        &current.session_hash,
        &current.audit_context(&client),
    )
    .await?;
    Ok(Redirect::to("/mfa?step=scan").into_response())
}

pub(crate) async fn confirm_registration(
    State(state): State<AppState>,
    PendingUser(current): PendingUser,
    ClientAddr(client): ClientAddr,
    form: FormData,
) -> Result<Response, AppError> {
    if current.sign_in_step() != SignInStep::Register {
        return Ok(Redirect::to(Route::Mfa.path()).into_response());
    }
    submit_code(
        &state,
        &current,
        &client,
        form.get("code"),
        Stage::ConfirmCode,
    )
    .await
}

pub(crate) async fn verify(
    State(state): State<AppState>,
    PendingUser(current): PendingUser,
    ClientAddr(client): ClientAddr,
    form: FormData,
) -> Result<Response, AppError> {
    at_code_step(&state, &current, &client, &form, Stage::Verify).await
}

/// Continue under "Use a recovery code".
pub(crate) async fn use_recovery_code(
    State(state): State<AppState>,
    PendingUser(current): PendingUser,
    ClientAddr(client): ClientAddr,
    form: FormData,
) -> Result<Response, AppError> {
    at_code_step(&state, &current, &client, &form, Stage::Recovery).await
}

/// A code typed in the code pop-up (`stage`: from the app, or a recovery
/// code), for a session that is at that step.
async fn at_code_step(
    state: &AppState,
    current: &CurrentUser,
    client: &str,
    form: &FormData,
    stage: Stage,
) -> Result<Response, AppError> {
    if current.sign_in_step() != SignInStep::EnterCode {
        return Ok(Redirect::to(Route::Mfa.path()).into_response());
    }
    submit_code(state, current, client, form.get("code"), stage).await
}

async fn submit_code(
    state: &AppState,
    current: &CurrentUser,
    client: &str,
    typed: &str,
    stage: Stage,
) -> Result<Response, AppError> {
    let (mfa, sign_in) = (state.mfa(), current.session_hash.as_str());
    let audit = current.audit_context(client);
    let outcome = match stage {
        Stage::Recovery => {
            mfa::submit_recovery_code(mfa, &current.user, sign_in, typed, &audit).await?
        }
        Stage::Verify => {
            let stage = CodeStage::Verify;
            mfa::submit_code(mfa, &current.user, sign_in, stage, typed, &audit).await?
        }
        _ => {
            let stage = CodeStage::Register;
            mfa::submit_code(mfa, &current.user, sign_in, stage, typed, &audit).await?
        }
    };
    crate::metrics::mfa_code(&outcome);
    match outcome {
        CodeOutcome::Empty => {
            let missing = match stage {
                Stage::Recovery => "Enter one of your recovery codes.",
                _ => "Enter the code from your authenticator application.",
            };
            render(state, current, stage, Some(missing.into()), None)
        }
        CodeOutcome::Restart => Ok(Redirect::to(Route::Mfa.path()).into_response()),
        CodeOutcome::Wrong(kind) => {
            render(state, current, stage, Some(kind.message().into()), None)
        }
        CodeOutcome::Ended(reason) => {
            let cookie = end_attempt(state, current).await?;
            let next = format!("/login?reason={}", reason.code());
            Ok((cookie, Redirect::to(&next)).into_response())
        }
        CodeOutcome::Accepted(after) => {
            let cookie = mfa_passed(state, current, client).await?;
            let home = current.actor.home();
            // A drifting phone, or a spent recovery code, is told on the
            // first page (issue 12).
            let done = match after {
                AfterCode::SaveRecoveryCodes(codes) => {
                    let codes = CodesView::new(state, &current.user.username, &codes, home);
                    let page = CodesAfterRegistration { codes };
                    return Ok((cookie, Html(page.render()?)).into_response());
                }
                AfterCode::Home(Some(PhoneClock::Fast)) => "?done=clock-fast",
                AfterCode::Home(Some(PhoneClock::Slow)) => "?done=clock-slow",
                AfterCode::Home(None) => "",
                AfterCode::RecoveryCodeUsed { .. } => "?done=recovery-code-used",
            };
            Ok((cookie, Redirect::to(&format!("{home}{done}"))).into_response())
        }
    }
}

/// MFA is passed: the half-signed-in session ends and a full one, with a
/// new id for the new privilege, begins. The cookie to set.
pub(super) async fn mfa_passed(
    state: &AppState,
    current: &CurrentUser,
    client: &str,
) -> Result<[(HeaderName, HeaderValue); 1], AppError> {
    let replacing = Some(current.session_hash.as_str());
    let facts = SessionFacts {
        mfa_passed: true,
        ..current.session
    };
    let cookie = start_session(state, &current.user, replacing, client, facts).await?;
    Ok([(header::SET_COOKIE, cookie)])
}

/// Ends the half-signed-in session: back to the password. The cookie to
/// set.
pub(super) async fn end_attempt(
    state: &AppState,
    current: &CurrentUser,
) -> Result<[(HeaderName, HeaderValue); 1], AppError> {
    // The sign-in's counter stays until it expires: requests of this
    // session already in flight must still find it full.
    sessions::end_session(&state.store, &current.session_hash, current.now).await?;
    Ok([(header::SET_COOKIE, clear_cookie(state)?)])
}
