//! My MFA: the pop-up behind the top-right button, where users turn MFA on
//! or off for themselves (under MFA Available) and reset their own
//! registration.

use super::presence::{confirm_presence, Presence, Proof};
use crate::error::AppError;
use crate::form::FormData;
use crate::layout::Chrome;
use crate::security::ClientAddr;
use crate::session::CurrentUser;
use crate::users::require;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use callrec_domain::{MenuItem, MfaPolicy, Role, SignInStep};
use callrec_store::{AuditAction, User};

/// What the My MFA pop-up shows.
pub(crate) struct MyMfa {
    pub checked: bool,
    /// The company decides: the box cannot be changed.
    pub locked: bool,
    /// Why the box is locked, if it is.
    pub note: &'static str,
    pub registered: bool,
    /// Where Save returns to.
    pub return_to: &'static str,
}

impl MyMfa {
    pub fn for_user(user: &User, return_to: &'static str) -> Option<MyMfa> {
        if !user.roles.contains(Role::ManageOwnMfa) {
            return None;
        }
        let (checked, locked, note) = match user.company_mfa_policy {
            MfaPolicy::Enabled => (true, true, "Required by your company"),
            MfaPolicy::Disabled => (false, true, "MFA is off for your company"),
            MfaPolicy::Available => (user.mfa_opt_in, false, ""),
        };
        Some(MyMfa {
            checked,
            locked,
            note,
            registered: user.mfa_registered,
            return_to,
        })
    }
}

#[derive(Template)]
#[template(path = "mfa/confirm.html")]
struct ConfirmPage {
    chrome: Chrome,
    return_to: &'static str,
    enable_mfa: bool,
    reset: bool,
    what: &'static str,
    proof: Proof,
    error: Option<&'static str>,
}

pub(crate) async fn save(
    State(state): State<AppState>,
    current: CurrentUser,
    ClientAddr(client): ClientAddr,
    form: FormData,
) -> Result<Response, AppError> {
    require(&current, Role::ManageOwnMfa)?;
    let user = &current.user;
    let back = MenuItem::return_path(form.get("return_to"));
    let wants_mfa = form.checked("enable_mfa");
    let opt_change =
        user.company_mfa_policy == MfaPolicy::Available && wants_mfa != user.mfa_opt_in;
    let reset = form.get("reset") == "1" && user.mfa_registered;
    // Weakening one's own MFA needs proof of presence: a stolen session
    // alone must not be able to turn it off or swap the authenticator.
    let what = match (opt_change && !wants_mfa, reset) {
        (true, true) => Some("You are turning MFA off and resetting your registration."),
        (true, false) => Some("You are turning MFA off for your account."),
        (false, true) => Some("You are resetting your MFA registration."),
        (false, false) => None,
    };
    if let Some(what) = what {
        let error = if form.checked("confirming") {
            match confirm_presence(&state, &current, &client, form.get("proof")).await? {
                Presence::Confirmed => None,
                Presence::Refused(message) => Some(message),
            }
        } else {
            Some("")
        };
        if let Some(error) = error {
            let page = ConfirmPage {
                chrome: Chrome::new(&current, "Confirm it's you", None),
                return_to: back,
                enable_mfa: wants_mfa,
                reset,
                what,
                proof: Proof::for_user(&current),
                error: (!error.is_empty()).then_some(error),
            };
            let status = if error.is_empty() {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            return Ok((status, Html(page.render()?)).into_response());
        }
    }
    let context = current.audit_context(&client);
    let entry = |action| context.entry_on(action, user);
    if opt_change {
        state.store.set_mfa_opt_in(user.id, wants_mfa).await?;
        let action = if wants_mfa {
            AuditAction::MfaOptedIn
        } else {
            AuditAction::MfaOptedOut
        };
        state.store.audit(entry(action), state.now()).await?;
    }
    if reset && state.store.delete_mfa_registration(user.id).await? {
        // A lost phone: other sessions end, and this one must register again
        // straight away if MFA still applies.
        let ended = state
            .store
            .delete_user_sessions(user.id, Some(&current.session_hash))
            .await?;
        state
            .store
            .set_session_mfa_passed(&current.session_hash, false)
            .await?;
        state
            .store
            .audit(
                entry(AuditAction::MfaOwnReset).details(format!("{ended} other sessions ended")),
                state.now(),
            )
            .await?;
    }
    let Some(updated) = state.store.user(user.id).await? else {
        return Err(AppError::SignInRequired);
    };
    let passed = current.mfa_passed && !reset;
    if updated.sign_in_step(passed) != SignInStep::SignedIn {
        // Turning MFA on (or resetting it) leads straight into registration.
        return Ok(Redirect::to("/mfa").into_response());
    }
    Ok(Redirect::to(&format!("{back}?done=my-mfa-saved")).into_response())
}
