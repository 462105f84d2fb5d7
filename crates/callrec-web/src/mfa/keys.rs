//! Security keys on the web: My MFA → Security keys (list, Add security
//! key, Remove) and "Use security key" in the sign-in pop-up. The browser
//! half is `app.js` (navigator.credentials); these endpoints hand it the
//! options and check its answer, as JSON.

use super::challenge::{end_attempt, mfa_passed};
use crate::error::AppError;
use crate::form::FormData;
use crate::layout::Chrome;
use crate::presence::ProvePresence;
use crate::security::ClientAddr;
use crate::session::require;
use crate::session::{CurrentUser, PendingUser};
use crate::urls::Route;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;
use callrec_app::mfa::{self, CodeOutcome, KeyAdded, KeyRefusal, Proof};
use callrec_domain::security_key::Ceremony;
use callrec_domain::{KeyName, Role, SignInStep};
use serde_json::json;

const PAGE: &str = Route::SecurityKeys.path();

/// One key in the list.
struct KeyRow {
    id: i64,
    name: String,
    added: String,
    last_used: String,
}

#[derive(Template)]
#[template(path = "mfa/security_keys.html")]
struct KeysPage {
    chrome: Chrome,
    keys: Vec<KeyRow>,
    /// The portal has a relying party: keys can be added and used.
    available: bool,
    /// What Add asks for to confirm it is the user.
    proof: Proof,
}

/// A JSON answer for the browser half: where to go next.
fn go_to(path: &str) -> Response {
    Json(json!({ "redirect": path })).into_response()
}

/// A JSON answer for the browser half: what went wrong, to show.
fn refuse(message: &str) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(json!({ "error": message })),
    )
        .into_response()
}

pub(crate) async fn keys_page(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Response, AppError> {
    require(&current, Role::ManageOwnMfa)?;
    let keys = state
        .store
        .security_keys(current.user.id)
        .await?
        .into_iter()
        .map(|key| KeyRow {
            id: key.id,
            name: key.name,
            added: current.zone.format_minutes(key.created_at),
            last_used: key
                .last_used_at
                .map_or_else(|| "never".to_string(), |at| current.zone.format_minutes(at)),
        })
        .collect();
    let page = KeysPage {
        chrome: Chrome::new(&current, "Security keys", None),
        keys,
        available: state.security_keys.is_some(),
        proof: Proof::for_user(&current.user),
    };
    Ok(Html(page.render()?).into_response())
}

/// Add security key, first half: the name typed and proof of presence
/// (a key added from a stolen session would outlive it), then the options
/// for `navigator.credentials.create`.
pub(crate) async fn add_options(
    State(state): State<AppState>,
    current: CurrentUser,
    ClientAddr(client): ClientAddr,
    form: FormData,
) -> Result<Response, AppError> {
    require(&current, Role::ManageOwnMfa)?;
    let name = match KeyName::parse(form.get("name")) {
        Ok(name) => name,
        Err(err) => return Ok(refuse(&err.message)),
    };
    if state.security_keys.is_none() {
        return Ok(refuse(KeyRefusal::Invalid.message()));
    }
    let presence = mfa::confirm_presence(
        state.mfa(),
        &state.passwords,
        &current.user,
        &current.session_hash,
        form.get("proof"),
        &current.audit_context(&client),
    )
    .await?;
    if let Some(refusal) = presence.refusal() {
        return Ok(refuse(refusal));
    }
    let options = mfa::start_adding_key(
        state.mfa(),
        &current.user,
        &current.session_hash,
        &name,
        current.now,
    )
    .await?;
    Ok(Json(options).into_response())
}

/// Add security key, second half: the browser's answer.
pub(crate) async fn add(
    State(state): State<AppState>,
    current: CurrentUser,
    ClientAddr(client): ClientAddr,
    answer: String,
) -> Result<Response, AppError> {
    require(&current, Role::ManageOwnMfa)?;
    if state.security_keys.is_none() {
        return Ok(refuse(KeyRefusal::Invalid.message()));
    }
    let added = mfa::finish_adding_key(
        state.mfa(),
        &current.user,
        &current.session_hash,
        &answer,
        &current.audit_context(&client),
    )
    .await?;
    Ok(match added {
        KeyAdded::Added => go_to(&format!("{PAGE}?done=key-added")),
        KeyAdded::Duplicate => refuse("This security key is registered already."),
        KeyAdded::Refused(refusal) => refuse(refusal.message()),
    })
}

/// Remove, after "Confirm it's you".
pub(crate) async fn remove(
    State(state): State<AppState>,
    mut current: CurrentUser,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    require(&current, Role::ManageOwnMfa)?;
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    if !state
        .store
        .security_keys(current.user.id)
        .await?
        .iter()
        .any(|key| key.id == id)
    {
        return Err(AppError::NotFound);
    }
    let audit = current.audit_context(&client);
    let prove = ProvePresence {
        heading: "Security keys",
        action: format!("{PAGE}/{id}/remove"),
        hidden: Vec::new(),
        what: if current.user.security_keys == 1 && !current.user.totp_registered {
            "You are removing your last security key: nothing else proves it is you at sign-in, so with MFA on you register again next time."
        } else {
            "You are removing a security key from your account."
        },
        return_to: PAGE.to_string(),
        form: &form,
        recent_counts: false,
    };
    if let Some(ask) = prove.check(&state, &mut current, &audit).await? {
        return Ok(ask);
    }
    mfa::remove_key(
        state.mfa(),
        &current.user,
        &current.session_hash,
        id,
        &audit,
    )
    .await?;
    Ok(Redirect::to(&format!("{PAGE}?done=key-removed")).into_response())
}

/// "Use security key", first half: the options for
/// `navigator.credentials.get`.
pub(crate) async fn sign_in_options(
    State(state): State<AppState>,
    PendingUser(current): PendingUser,
) -> Result<Response, AppError> {
    if current.sign_in_step() != SignInStep::EnterCode || state.security_keys.is_none() {
        return Ok(refuse(KeyRefusal::Expired.message()));
    }
    key_check_options(&state, &current, Ceremony::SignIn).await
}

/// "Confirm it's you" with a key: the options for
/// `navigator.credentials.get`. Any signed-in user may need it (a token,
/// a new user, more access), not only those who manage their own MFA.
pub(crate) async fn confirm_options(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Response, AppError> {
    if state.security_keys.is_none() {
        return Ok(refuse(KeyRefusal::Invalid.message()));
    }
    key_check_options(&state, &current, Ceremony::Confirm).await
}

async fn key_check_options(
    state: &AppState,
    current: &CurrentUser,
    kind: Ceremony,
) -> Result<Response, AppError> {
    let options = mfa::start_key_check(
        state.mfa(),
        &current.user,
        &current.session_hash,
        kind,
        current.now,
    )
    .await?;
    Ok(match options {
        Some(options) => Json(options).into_response(),
        None => refuse("No security key is registered for your account."),
    })
}

/// "Use security key", second half: the browser's answer signs in.
pub(crate) async fn sign_in(
    State(state): State<AppState>,
    PendingUser(current): PendingUser,
    ClientAddr(client): ClientAddr,
    answer: String,
) -> Result<Response, AppError> {
    if current.sign_in_step() != SignInStep::EnterCode || state.security_keys.is_none() {
        return Ok(go_to(Route::Mfa.path()));
    }
    let outcome = mfa::finish_key_sign_in(
        state.mfa(),
        &current.user,
        &current.session_hash,
        &answer,
        &current.audit_context(&client),
    )
    .await?;
    crate::metrics::mfa_code(&outcome);
    match outcome {
        CodeOutcome::Accepted(_) => {
            let cookie = mfa_passed(&state, &current, &client).await?;
            Ok((cookie, go_to(current.actor.home())).into_response())
        }
        CodeOutcome::Wrong(kind) => Ok(refuse(kind.message())),
        CodeOutcome::Ended(reason) => {
            let cookie = end_attempt(&state, &current).await?;
            let next = format!("/login?reason={}", reason.code());
            Ok((cookie, go_to(&next)).into_response())
        }
        CodeOutcome::Empty | CodeOutcome::Restart => Ok(go_to(Route::Mfa.path())),
    }
}
