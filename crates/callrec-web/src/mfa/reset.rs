//! Reset MFA (Other User): clears a user's registration and ends all of
//! their sessions, from the icon at the far right of the Users page.

use crate::error::AppError;
use crate::form::FormData;
use crate::security::ClientAddr;
use crate::session::require;
use crate::session::CurrentUser;
use crate::users::{changeable_user, ListParams};
use crate::AppState;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use callrec_app::accounts;
use callrec_domain::{Role, UserId};
use callrec_store::User;

/// The user, if the actor may reset their MFA; otherwise they do not exist.
pub(crate) async fn resettable_user(
    state: &AppState,
    current: &CurrentUser,
    id: &str,
) -> Result<User, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    changeable_user(state, &current.actor, UserId(id), Role::ManageCompanyMfa).await
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
    let mail = state.config.mail.is_some();
    accounts::reset_mfa(&state.store, mail, &target, &current.audit_context(&client)).await?;
    let params = ListParams::from_form(&form);
    Ok(Redirect::to(&format!(
        "/users{}",
        params.query_string(&[("done", "mfa-reset")])
    ))
    .into_response())
}
