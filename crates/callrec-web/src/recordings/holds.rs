//! Legal hold: Place on hold (with a reason) and Release hold on one
//! recording (its details page), or on every recording a search matches
//! (the Recordings page's confirm dialog). Role Access to Legal Hold.

use super::audio::find;
use super::{search_of, BulkProblem, Filters, PER_PAGE};
use crate::error::AppError;
use crate::form::FormData;
use crate::security::ClientAddr;
use crate::session::require;
use crate::session::CurrentUser;
use crate::AppState;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use callrec_app::records::holds;
use callrec_domain::Role;
use callrec_store::{HoldChange, PageFrom};

/// `POST /recordings/{id}/hold`: reason required.
pub(crate) async fn place(
    State(state): State<AppState>,
    current: CurrentUser,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    require(&current, Role::LegalHold)?;
    let recording = find(&state, &current, &id).await?;
    let reason = holds::reason(form.get("reason"))?;
    let audit = current.audit_context(&client);
    let change = HoldChange::Place(&reason);
    holds::change_hold(
        &state.store,
        &recording,
        current.actor.scope(),
        change,
        &audit,
    )
    .await?;
    Ok(Redirect::to(&format!("/recordings/{}?done=hold-placed", recording.id)).into_response())
}

/// `POST /recordings/{id}/release`.
pub(crate) async fn release(
    State(state): State<AppState>,
    current: CurrentUser,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    require(&current, Role::LegalHold)?;
    let recording = find(&state, &current, &id).await?;
    let audit = current.audit_context(&client);
    let scope = current.actor.scope();
    let released =
        holds::change_hold(&state.store, &recording, scope, HoldChange::Release, &audit).await?;
    let done = if released {
        "hold-released"
    } else {
        "hold-unchanged"
    };
    Ok(Redirect::to(&format!("/recordings/{}?done={done}", recording.id)).into_response())
}

/// `POST /recordings/holds`: the search's filters, `change` (place or
/// release) and, to place, the reason.
pub(crate) async fn matching(
    State(state): State<AppState>,
    current: CurrentUser,
    ClientAddr(client): ClientAddr,
    form: FormData,
) -> Result<Response, AppError> {
    require(&current, Role::LegalHold)?;
    let filters = Filters::from_query(&form);
    let (search, errors) = search_of(&state, &current, &filters, PageFrom::Start, PER_PAGE).await?;
    if !errors.is_empty() {
        let problem = BulkProblem {
            message: Some(errors.sentences()),
            selected: Default::default(),
        };
        return super::render_page(&state, &current, &form, problem).await;
    }
    let reason;
    let (change, done) = match form.get("change") {
        "place" => {
            reason = holds::reason(form.get("reason"))?;
            (HoldChange::Place(&reason), "holds-placed")
        }
        "release" => (HoldChange::Release, "holds-released"),
        _ => {
            return Err(AppError::BadRequest(
                "Choose Place on hold or Release hold.".into(),
            ))
        }
    };
    let described = filters.query_string(&[]);
    let audit = current.audit_context(&client);
    holds::change_holds_matching(&state.store, &search, &described, change, &audit).await?;
    Ok(Redirect::to(&format!(
        "/recordings{}",
        filters.query_string(&[("done", done)])
    ))
    .into_response())
}
