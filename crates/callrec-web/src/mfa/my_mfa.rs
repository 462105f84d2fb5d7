//! My MFA: the pop-up behind the top-right button, where users turn MFA on
//! or off for themselves (under MFA Available) and reset their own
//! registration.

use crate::error::AppError;
use crate::form::FormData;
use crate::security::ClientAddr;
use crate::session::CurrentUser;
use crate::users::require;
use crate::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use callrec_domain::{MfaPolicy, Role, SignInStep};
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

/// Only paths of the portal itself: never an open redirect.
fn safe_return(path: &str) -> &str {
    let local = path.starts_with('/') && !path.starts_with("//") && !path.contains('\\');
    if local {
        path
    } else {
        "/"
    }
}

pub(crate) async fn save(
    State(state): State<AppState>,
    current: CurrentUser,
    ClientAddr(client): ClientAddr,
    form: FormData,
) -> Result<Response, AppError> {
    require(&current, Role::ManageOwnMfa)?;
    let user = &current.user;
    let context = current.audit_context(&client);
    let entry = |action| {
        context
            .entry(action)
            .company(user.company_id)
            .target(&user.username)
    };
    let wants_mfa = form.checked("enable_mfa");
    if user.company_mfa_policy == MfaPolicy::Available && wants_mfa != user.mfa_opt_in {
        state.store.set_mfa_opt_in(user.id, wants_mfa).await?;
        let action = if wants_mfa {
            AuditAction::MfaOptedIn
        } else {
            AuditAction::MfaOptedOut
        };
        state.store.audit(entry(action), state.now()).await?;
    }
    if form.get("reset") == "1" && state.store.delete_mfa_registration(user.id).await? {
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
    let passed = current.mfa_passed && form.get("reset") != "1";
    if updated.sign_in_step(passed) != SignInStep::SignedIn {
        // Turning MFA on (or resetting it) leads straight into registration.
        return Ok(Redirect::to("/mfa").into_response());
    }
    let back = safe_return(form.get("return_to"));
    let separator = if back.contains('?') { '&' } else { '?' };
    Ok(Redirect::to(&format!("{back}{separator}done=my-mfa-saved")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_paths_stay_on_the_portal() {
        assert_eq!(safe_return("/users"), "/users");
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "",
        ] {
            assert_eq!(safe_return(bad), "/", "{bad}");
        }
    }
}
