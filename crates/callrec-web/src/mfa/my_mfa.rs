//! My MFA: the pop-up behind the top-right button, where users turn MFA on
//! or off for themselves (under MFA Available) and reset their own
//! registration.

use crate::error::AppError;
use crate::form::FormData;
use crate::presence::ProvePresence;
use crate::security::ClientAddr;
use crate::session::require;
use crate::session::CurrentUser;
use crate::urls::Route;
use crate::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use callrec_app::mfa::{self, OwnMfaChange};
use callrec_domain::{MenuItem, MfaPolicy, Role, SessionFacts, SignInStep};
use callrec_store::User;

/// What the My MFA pop-up shows.
pub(crate) struct MyMfa {
    pub checked: bool,
    /// The company decides: the box cannot be changed.
    pub locked: bool,
    /// Why the box is locked, if it is.
    pub note: &'static str,
    pub registered: bool,
    pub recovery_codes_left: i64,
    pub security_keys: i64,
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
            MfaPolicy::Available if user.mfa_forced_on() => (
                true,
                true,
                "Required by your company for users who manage users or MFA",
            ),
            MfaPolicy::Available => (user.mfa_opt_in, false, ""),
        };
        Some(MyMfa {
            checked,
            locked,
            note,
            registered: user.mfa_registered,
            recovery_codes_left: user.recovery_codes_left,
            security_keys: user.security_keys,
            return_to,
        })
    }
}

pub(crate) async fn save(
    State(state): State<AppState>,
    mut current: CurrentUser,
    ClientAddr(client): ClientAddr,
    form: FormData,
) -> Result<Response, AppError> {
    require(&current, Role::ManageOwnMfa)?;
    let back = MenuItem::return_path(form.get("return_to"));
    let wants_mfa = form.checked("enable_mfa");
    let reset = form.get("reset") == "1";
    let change = OwnMfaChange::new(&current.user, wants_mfa, reset);
    let audit = current.audit_context(&client);
    if let Some(what) = change.needs_presence(&current.user) {
        let prove = ProvePresence {
            heading: "My MFA",
            action: Route::MyMfa.path().to_string(),
            hidden: form.resent(),
            what,
            return_to: back.to_string(),
            form: &form,
            recent_counts: change.weakening().is_none(),
        };
        if let Some(ask) = prove.check(&state, &mut current, &audit).await? {
            return Ok(ask);
        }
    }
    let mail = state.config.mail.is_some();
    let updated = mfa::change_own_mfa(
        &state.store,
        mail,
        &current.user,
        &current.session_hash,
        change,
        &audit,
    )
    .await?
    .ok_or(AppError::SignInRequired)?;
    let session = SessionFacts {
        mfa_passed: current.session.mfa_passed && !change.reset,
        ..current.session
    };
    if updated.sign_in_step(session, current.now) != SignInStep::SignedIn {
        // Turning MFA on (or resetting it) leads straight into registration.
        return Ok(Redirect::to(Route::Mfa.path()).into_response());
    }
    Ok(Redirect::to(&format!("{back}?done=my-mfa-saved")).into_response())
}

/// Register now, from the grace-period banner: the user chooses to
/// register before the deadline, which takes them to the QR code (after
/// "Confirm it's you": the code shows a new secret).
pub(crate) async fn register_now(
    State(state): State<AppState>,
    mut current: CurrentUser,
    ClientAddr(client): ClientAddr,
    form: FormData,
) -> Result<Response, AppError> {
    if !current.user.in_grace(current.now) {
        return Ok(Redirect::to(current.actor.home()).into_response());
    }
    let audit = current.audit_context(&client);
    let prove = ProvePresence {
        heading: "Register for MFA",
        action: Route::RegisterNow.path().to_string(),
        hidden: form.resent(),
        what:
            "You are registering an authenticator: the QR code that comes next holds a new secret.",
        return_to: current.actor.home().to_string(),
        form: &form,
        recent_counts: true,
    };
    if let Some(ask) = prove.check(&state, &mut current, &audit).await? {
        return Ok(ask);
    }
    mfa::register_now(&state.store, &current.user, &audit).await?;
    Ok(Redirect::to(Route::Mfa.path()).into_response())
}
