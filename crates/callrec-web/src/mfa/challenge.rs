//! The pop-ups between password and portal: register an authenticator
//! (ready → QR code → code) or enter a code. Wrong codes are counted in the
//! database per sign-in and per account, so the limits hold across nodes.

use super::presence::{hourly_window, lock_account};
use crate::error::AppError;
use crate::form::{FormData, QueryData};
use crate::security::ClientAddr;
use crate::session::{clear_cookie, start_session, CurrentUser, PendingUser};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use callrec_domain::throttle::{wrong_code, SignInReason, ThrottleScope, WrongCode};
use callrec_domain::totp::{check_code, otpauth_uri, CodeCheck, TotpCode, TotpSecret};
use callrec_domain::SignInStep;
use callrec_store::{AuditAction, MfaRegistration, Reservation, ThrottleWindow};
use rand::RngCore;

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
        SignInStep::SignedIn => Ok(Redirect::to(current.actor.home()).into_response()),
        SignInStep::EnterCode => render(&state, &current, Stage::Verify, None, None),
        SignInStep::Register => {
            let pending = pending_secret(&state, &current).await?;
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

async fn registration(
    state: &AppState,
    current: &CurrentUser,
) -> Result<Option<MfaRegistration>, AppError> {
    Ok(state.store.mfa_registration(current.user.id).await?)
}

pub(crate) fn decrypt(
    state: &AppState,
    current: &CurrentUser,
    registration: &MfaRegistration,
) -> Result<TotpSecret, AppError> {
    state
        .keyring
        .decrypt(current.user.id, &registration.secret_ciphertext)
        .map_err(|err| AppError::Internal(format!("MFA secret of user {}: {err}", current.user.id)))
}

async fn pending_secret(
    state: &AppState,
    current: &CurrentUser,
) -> Result<Option<TotpSecret>, AppError> {
    match registration(state, current).await? {
        Some(registration) if registration.pending_for(&current.session_hash) => {
            Ok(Some(decrypt(state, current, &registration)?))
        }
        _ => Ok(None),
    }
}

/// Continue on "have your authenticator application ready": a new secret
/// every time, so an abandoned registration is never reused.
pub(crate) async fn start_registration(
    State(state): State<AppState>,
    PendingUser(current): PendingUser,
    ClientAddr(client): ClientAddr,
) -> Result<Response, AppError> {
    if current.sign_in_step() != SignInStep::Register {
        return Ok(Redirect::to("/mfa").into_response());
    }
    let mut bytes = [0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let secret = TotpSecret::from_bytes(bytes);
    let ciphertext = state.keyring.encrypt(current.user.id, &secret);
    if state
        .store
        .start_mfa_registration(
            current.user.id,
            &ciphertext,
            &current.session_hash,
            state.now(),
        )
        .await?
    {
        state
            .store
            .audit(
                current.own_audit_entry(&client, AuditAction::MfaRegistrationStarted),
                state.now(),
            )
            .await?;
    }
    Ok(Redirect::to("/mfa?step=scan").into_response())
}

pub(crate) async fn confirm_registration(
    State(state): State<AppState>,
    PendingUser(current): PendingUser,
    ClientAddr(client): ClientAddr,
    form: FormData,
) -> Result<Response, AppError> {
    if current.sign_in_step() != SignInStep::Register {
        return Ok(Redirect::to("/mfa").into_response());
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
    if current.sign_in_step() != SignInStep::EnterCode {
        return Ok(Redirect::to("/mfa").into_response());
    }
    submit_code(&state, &current, &client, form.get("code"), Stage::Verify).await
}

async fn submit_code(
    state: &AppState,
    current: &CurrentUser,
    client: &str,
    typed: &str,
    stage: Stage,
) -> Result<Response, AppError> {
    let limits = &state.config.mfa;
    let account = current.user.id.to_string();
    // Wrong codes are limited per sign-in (this half-signed-in session) and
    // per account and hour; a full hourly window is the lock.
    let sign_in = current.session_hash.as_str();
    let per_sign_in = ThrottleWindow {
        seconds: 3600,
        limit: limits.attempt_limit,
    };
    let hourly = hourly_window(state);
    let now = state.now();
    let locked = state
        .store
        .throttled_for(ThrottleScope::MfaAccount, &account, now, hourly)
        .await?;
    if locked.is_some() {
        return end_attempt(state, current, SignInReason::MfaLocked).await;
    }
    if typed.trim().is_empty() {
        // Not a guess: the pop-up just asks for the code again.
        return render(
            state,
            current,
            stage,
            Some("Enter the code from your authenticator application.".into()),
            None,
        );
    }
    let Some(registration) = registration(state, current).await? else {
        return Ok(Redirect::to("/mfa").into_response());
    };
    let usable = match stage {
        Stage::Verify => registration.confirmed,
        _ => registration.pending_for(&current.session_hash),
    };
    if !usable {
        // Another session started a registration since: start again.
        return Ok(Redirect::to("/mfa").into_response());
    }
    // Both counters take this attempt before the code is checked, so
    // parallel guesses can never pass a limit (each reservation is one
    // conditional write); an accepted code gives its places back.
    // The sign-in's place first: giving one back never opens the account's
    // window, which a lock holds full.
    let in_sign_in = match state
        .store
        .reserve_attempt(ThrottleScope::MfaSignIn, sign_in, now, per_sign_in)
        .await?
    {
        Reservation::Reserved(count) => count,
        Reservation::Refused { .. } => {
            return end_attempt(state, current, SignInReason::MfaAttempts).await;
        }
    };
    let in_hour = match state
        .store
        .reserve_attempt(ThrottleScope::MfaAccount, &account, now, hourly)
        .await?
    {
        Reservation::Reserved(count) => count,
        Reservation::Refused { .. } => {
            state
                .store
                .release_attempt(ThrottleScope::MfaSignIn, sign_in)
                .await?;
            return end_attempt(state, current, SignInReason::MfaLocked).await;
        }
    };
    let secret = decrypt(state, current, &registration)?;
    let check = match TotpCode::parse(typed) {
        Some(code) => check_code(&secret, &code, now, registration.last_step),
        None => CodeCheck::Invalid,
    };
    let check = match check {
        // The store has the last word: a conditional write lets exactly one
        // of several simultaneous submissions of the same code through.
        CodeCheck::Accepted { step } => {
            let recorded = match stage {
                Stage::Verify => state.store.accept_mfa_step(current.user.id, step).await?,
                _ => {
                    state
                        .store
                        .confirm_mfa_registration(current.user.id, &current.session_hash, step, now)
                        .await?
                }
            };
            if recorded {
                check
            } else {
                CodeCheck::Replayed
            }
        }
        other => other,
    };

    if let CodeCheck::Accepted { .. } = check {
        for (scope, key) in [
            (ThrottleScope::MfaSignIn, sign_in),
            (ThrottleScope::MfaAccount, account.as_str()),
        ] {
            state.store.release_attempt(scope, key).await?;
        }
        let action = if stage == Stage::Verify {
            AuditAction::MfaCodeAccepted
        } else {
            AuditAction::MfaRegistrationConfirmed
        };
        state
            .store
            .audit(current.own_audit_entry(client, action), now)
            .await?;
        // Fully signed in now: a new session id for the new privilege.
        state.store.delete_session(&current.session_hash).await?;
        let cookie = start_session(state, &current.user, client, true).await?;
        return Ok((
            [(header::SET_COOKIE, cookie)],
            Redirect::to(current.actor.home()),
        )
            .into_response());
    }

    let (action, message) = match check {
        CodeCheck::Replayed => (AuditAction::MfaCodeReplayed, "Invalid code: it was already used. Wait for the next code from your authenticator application."),
        _ => (AuditAction::MfaCodeRefused, "Invalid code"),
    };
    state
        .store
        .audit(current.own_audit_entry(client, action), now)
        .await?;
    match wrong_code(
        in_sign_in,
        limits.attempt_limit,
        in_hour,
        limits.hourly_limit,
    ) {
        WrongCode::Locked => {
            lock_account(state, current, client, in_hour).await?;
            end_attempt(state, current, SignInReason::MfaLocked).await
        }
        WrongCode::AttemptEnded => {
            let details = format!("{in_sign_in} wrong codes");
            state
                .store
                .audit(
                    current
                        .own_audit_entry(client, AuditAction::MfaAttemptEnded)
                        .details(details),
                    now,
                )
                .await?;
            end_attempt(state, current, SignInReason::MfaAttempts).await
        }
        WrongCode::TryAgain => render(state, current, stage, Some(message.into()), None),
    }
}

/// Ends the half-signed-in session: back to the password.
async fn end_attempt(
    state: &AppState,
    current: &CurrentUser,
    reason: SignInReason,
) -> Result<Response, AppError> {
    // The sign-in's counter stays until it expires: requests of this
    // session already in flight must still find it full.
    state.store.delete_session(&current.session_hash).await?;
    Ok((
        [(header::SET_COOKIE, clear_cookie(state)?)],
        Redirect::to(&format!("/login?reason={}", reason.code())),
    )
        .into_response())
}
