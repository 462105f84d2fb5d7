//! My MFA: the pop-up behind the top-right button, where users turn MFA on
//! or off for themselves (under MFA Available) and reset their own
//! registration.

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
use callrec_app::accounts::AuditContext;
use callrec_app::mfa::{self, OwnMfaChange, Proof};
use callrec_domain::{MenuItem, MfaPolicy, Role, SignInStep};
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

#[derive(Template)]
#[template(path = "mfa/confirm.html")]
struct ConfirmPage {
    chrome: Chrome,
    action: String,
    hidden: Vec<(&'static str, String)>,
    return_to: &'static str,
    what: &'static str,
    proof: Proof,
    error: Option<&'static str>,
}

/// A change under My MFA that needs proof of presence first: the request
/// to make it, with the form fields that describe it.
pub(super) struct ProvePresence<'a> {
    pub action: String,
    pub hidden: Vec<(&'static str, String)>,
    /// What is about to happen, in one sentence.
    pub what: &'static str,
    pub return_to: &'static str,
    pub form: &'a FormData,
}

impl ProvePresence<'_> {
    /// `None` when the form carries a proof that holds; otherwise the
    /// "Confirm it's you" pop-up (again, with what was wrong).
    pub async fn check(
        self,
        state: &AppState,
        current: &CurrentUser,
        audit: &AuditContext,
    ) -> Result<Option<Response>, AppError> {
        let error = if self.form.checked("confirming") {
            let presence = mfa::confirm_presence(
                state.mfa(),
                &state.passwords,
                &current.user,
                &current.session_hash,
                self.form.get("proof"),
                audit,
            )
            .await?;
            match presence.refusal() {
                None => return Ok(None),
                Some(error) => Some(error),
            }
        } else {
            None
        };
        let page = ConfirmPage {
            chrome: Chrome::new(current, "Confirm it's you", None),
            action: self.action,
            hidden: self.hidden,
            return_to: self.return_to,
            what: self.what,
            proof: Proof::for_user(&current.user),
            error,
        };
        let status = if error.is_some() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        };
        Ok(Some((status, Html(page.render()?)).into_response()))
    }
}

pub(crate) async fn save(
    State(state): State<AppState>,
    current: CurrentUser,
    ClientAddr(client): ClientAddr,
    form: FormData,
) -> Result<Response, AppError> {
    require(&current, Role::ManageOwnMfa)?;
    let back = MenuItem::return_path(form.get("return_to"));
    let wants_mfa = form.checked("enable_mfa");
    let reset = form.get("reset") == "1";
    let change = OwnMfaChange::new(&current.user, wants_mfa, reset);
    let audit = current.audit_context(&client);
    if let Some(what) = change.weakening() {
        let mut hidden = vec![("reset", if change.reset { "1" } else { "0" }.to_string())];
        if wants_mfa {
            hidden.push(("enable_mfa", "on".to_string()));
        }
        let prove = ProvePresence {
            action: "/my-mfa".to_string(),
            hidden,
            what,
            return_to: back,
            form: &form,
        };
        if let Some(ask) = prove.check(&state, &current, &audit).await? {
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
    let passed = current.mfa_passed && !change.reset;
    if updated.sign_in_step(passed, current.now) != SignInStep::SignedIn {
        // Turning MFA on (or resetting it) leads straight into registration.
        return Ok(Redirect::to("/mfa").into_response());
    }
    Ok(Redirect::to(&format!("{back}?done=my-mfa-saved")).into_response())
}

/// Register now, from the grace-period banner: the user chooses to
/// register before the deadline, which takes them to the QR code.
pub(crate) async fn register_now(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Response, AppError> {
    if !current.user.in_grace(current.now) {
        return Ok(Redirect::to(current.actor.home()).into_response());
    }
    state.store.set_mfa_opt_in(current.user.id, true).await?;
    Ok(Redirect::to("/mfa").into_response())
}
