//! The bulk bar's Place on hold… and Delete… for the ticked rows: each
//! recording changed and audited as its own page would, in the viewer's
//! scope; refusals (nothing ticked, too many) said on the Recordings page
//! with the search and the ticks kept.

use super::audio::find;
use super::{render_page, BulkProblem, Filters};
use crate::error::AppError;
use crate::form::FormData;
use crate::security::ClientAddr;
use crate::session::{require, CurrentUser};
use crate::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use callrec_app::records::{bin, holds};
use callrec_app::tags;
use callrec_domain::Role;
use callrec_store::{Binned, HoldChange, Recording};

/// The most rows one action takes (ten pages of Select all).
const MOST: usize = 500;

/// The ticked recordings, each in the viewer's scope (else 404), or the
/// page saying why there are none to act on.
async fn ticked(
    state: &AppState,
    current: &CurrentUser,
    form: &FormData,
    verb: &str,
) -> Result<Result<Vec<Recording>, Response>, AppError> {
    let ids: Vec<&str> = form.all("id").collect();
    let problem = match ids.len() {
        0 => Some(format!("Select the recordings to {verb} first (the boxes at the start of each row, or Select all on this page).")),
        n if n > MOST => Some(format!("{n} recordings are selected; at most {MOST} can be changed at once. Untick some, or use the search-wide actions.")),
        _ => None,
    };
    if let Some(message) = problem {
        let problem = BulkProblem {
            message: Some(message),
            selected: ids.iter().map(|id| id.to_string()).collect(),
        };
        return Ok(Err(render_page(state, current, form, problem).await?));
    }
    // A ticked row deleted meanwhile (by someone else, or by a run that
    // stopped part-way) is passed over, so the action can be sent again;
    // none found at all is not found.
    let mut recordings = Vec::with_capacity(ids.len());
    for id in ids {
        match find(state, current, id).await {
            Ok(recording) => recordings.push(recording),
            Err(AppError::NotFound) => {}
            Err(other) => return Err(other),
        }
    }
    if recordings.is_empty() {
        return Err(AppError::NotFound);
    }
    Ok(Ok(recordings))
}

fn back(form: &FormData, done: &str) -> Response {
    Redirect::to(&format!(
        "/recordings{}",
        Filters::from_query(form).query_string(&[("done", done)])
    ))
    .into_response()
}

/// `POST /recordings/selected/hold`: a reason, and the ticked rows.
pub(super) async fn hold(
    State(state): State<AppState>,
    current: CurrentUser,
    ClientAddr(client): ClientAddr,
    form: FormData,
) -> Result<Response, AppError> {
    require(&current, Role::LegalHold)?;
    let reason = holds::reason(form.get("reason"))?;
    let recordings = match ticked(&state, &current, &form, "place on hold").await? {
        Ok(recordings) => recordings,
        Err(page) => return Ok(page),
    };
    let audit = current.audit_context(&client);
    for recording in &recordings {
        let change = HoldChange::Place(&reason);
        holds::change_hold(
            &state.store,
            recording,
            current.actor.scope(),
            change,
            &audit,
        )
        .await?;
    }
    Ok(back(&form, "selected-held"))
}

/// `POST /recordings/selected/tag`: one of the company's tags on the
/// ticked rows (the viewer's own company's: an operator tags on a
/// recording's page).
pub(super) async fn tag(
    State(state): State<AppState>,
    current: CurrentUser,
    ClientAddr(client): ClientAddr,
    form: FormData,
) -> Result<Response, AppError> {
    require(&current, Role::Recordings)?;
    let recordings = match ticked(&state, &current, &form, "tag").await? {
        Ok(recordings) => recordings,
        Err(page) => return Ok(page),
    };
    let wanted: i64 = form.get("tag_id").parse().map_err(|_| AppError::NotFound)?;
    let mut by_company = std::collections::BTreeMap::new();
    for recording in &recordings {
        by_company
            .entry(recording.company_id)
            .or_insert_with(Vec::new)
            .push(recording.clone());
    }
    let audit = current.audit_context(&client);
    for (company, recordings) in by_company {
        // A tag is its company's: recordings of another company are not tagged with it.
        let list = state.store.company_tags(company).await?;
        if let Some(tag) = list.iter().find(|t| t.id == wanted) {
            tags::tag_all(&state.store, &recordings, tag, &audit).await?;
        }
    }
    Ok(back(&form, "selected-tagged"))
}

/// `POST /recordings/selected/delete`: the ticked rows, held ones kept.
pub(super) async fn delete(
    State(state): State<AppState>,
    current: CurrentUser,
    ClientAddr(client): ClientAddr,
    form: FormData,
) -> Result<Response, AppError> {
    require(&current, Role::DeleteRecordings)?;
    let recordings = match ticked(&state, &current, &form, "delete").await? {
        Ok(recordings) => recordings,
        Err(page) => return Ok(page),
    };
    let audit = current.audit_context(&client);
    let mut kept = false;
    for recording in &recordings {
        let binned = bin::delete(&state.store, recording, current.actor.scope(), &audit).await?;
        kept |= binned == Binned::Held;
    }
    Ok(back(
        &form,
        if kept {
            "selected-deleted-held-kept"
        } else {
            "selected-deleted"
        },
    ))
}
