//! Reset MFA (Other User): clears a user's registration and ends all of
//! their sessions, from the icon at the far right of the Users page.

use crate::error::AppError;
use crate::form::FormData;
use crate::security::ClientAddr;
use crate::session::CurrentUser;
use crate::users::{require, ListParams};
use crate::{now, AppState};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use callrec_domain::{Role, UserId};
use callrec_store::{AuditAction, User};

/// The user, if the actor may reset their MFA; otherwise they do not exist.
pub(crate) async fn resettable_user(
    state: &AppState,
    current: &CurrentUser,
    id: &str,
) -> Result<User, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    state
        .store
        .user_in_scope(UserId(id), current.actor.scope())
        .await?
        .filter(|target| current.actor.may_reset_mfa(&target.subject()))
        .ok_or(AppError::NotFound)
}

pub(crate) async fn reset_other_user(
    State(state): State<AppState>,
    current: CurrentUser,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    require(&current, Role::ManageCompanyMfa)?;
    let target = resettable_user(&state, &current, &id).await?;
    let had_registration = state.store.delete_mfa_registration(target.id).await?;
    let ended = state.store.delete_user_sessions(target.id, None).await?;
    state
        .store
        .audit(
            current
                .audit_entry(
                    &client,
                    AuditAction::MfaReset,
                    target.company_id,
                    &target.username,
                )
                .details(format!(
                    "{}; {ended} sessions ended",
                    if had_registration {
                        "registration cleared"
                    } else {
                        "no registration"
                    }
                )),
            now(),
        )
        .await?;
    let params = ListParams::from_form(&form);
    Ok(Redirect::to(&format!(
        "/users{}",
        params.query_string(&[("done", "mfa-reset")])
    ))
    .into_response())
}
