//! `POST /recordings/{id}/tags`: the recording's page sets its tags from
//! the company's list (Access to Recordings, like notes).

use super::audio::find;
use crate::error::AppError;
use crate::form::FormData;
use crate::security::ClientAddr;
use crate::session::{require, CurrentUser};
use crate::AppState;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use callrec_app::tags;
use callrec_domain::Role;

pub(super) async fn set(
    State(state): State<AppState>,
    current: CurrentUser,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    require(&current, Role::Recordings)?;
    let recording = find(&state, &current, &id).await?;
    let list = state.store.company_tags(recording.company_id).await?;
    // Only the company's own tags count; anything else is ignored.
    let wanted: Vec<i64> = form
        .all("tag")
        .filter_map(|id| id.parse().ok())
        .filter(|id| list.iter().any(|t| t.id == *id))
        .collect();
    let audit = current.audit_context(&client);
    tags::set_tags(&state.store, &recording, &list, &wanted, &audit).await?;
    let query = crate::form::query_string([("done", "tags-saved"), ("back", form.get("back"))]);
    Ok(Redirect::to(&format!("/recordings/{}{query}#tags-title", recording.id)).into_response())
}
