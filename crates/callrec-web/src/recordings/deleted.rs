//! Deleted recordings: what Delete moved out of Recordings, with Restore,
//! until the purge job removes each for good. Role Access to Delete
//! Recordings; the viewer's scope, like Recordings.

use super::PageId;
use crate::error::AppError;
use crate::form::QueryData;
use crate::layout::Chrome;
use crate::security::ClientAddr;
use crate::session::require;
use crate::session::CurrentUser;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use callrec_app::records::bin;
use callrec_domain::permissions::DataScope;
use callrec_domain::recording::RecordingId;
use callrec_domain::time::clock_text;
use callrec_domain::{MenuItem, PhoneNumber, Role};
use callrec_store::Restored;

pub(crate) struct DeletedRow {
    id: PageId,
    started: String,
    direction: &'static str,
    calling: PhoneNumber,
    called: PhoneNumber,
    user: String,
    company: String,
    duration: String,
    deleted: String,
    deleted_by: String,
    removed_after: String,
    held: bool,
}

#[derive(Template)]
#[template(path = "recordings/deleted.html")]
struct DeletedPage {
    chrome: Chrome,
    rows: Vec<DeletedRow>,
    show_company: bool,
    days: u32,
    next_link: Option<String>,
    previous_link: Option<String>,
}

/// `GET /recordings/deleted[?page=N]`.
pub(crate) async fn deleted_page(
    State(state): State<AppState>,
    current: CurrentUser,
    QueryData(query): QueryData,
) -> Result<Response, AppError> {
    require(&current, Role::DeleteRecordings)?;
    let page = query
        .get("page")
        .parse::<i64>()
        .unwrap_or(0)
        .clamp(0, 1_000_000);
    let scope = current.actor.scope();
    let (items, more) = state.store.deleted_recordings(scope, page).await?;
    let settings = state.config.records;
    let zone = &current.zone;
    let rows = items
        .into_iter()
        .map(|r| DeletedRow {
            id: PageId(r.id),
            started: zone.format_ms(r.started_at_ms),
            direction: r.direction.label(),
            calling: r.calling_number,
            called: r.called_number,
            user: r.username.unwrap_or_default(),
            company: r.company_name,
            duration: clock_text(r.duration_ms),
            deleted: zone.format_minutes(r.deleted_at),
            deleted_by: r.deleted_by,
            removed_after: zone.format_minutes(settings.purged_after(r.deleted_at)),
            held: r.held,
        })
        .collect();
    let link = |n: i64| format!("/recordings/deleted?page={n}");
    let page = DeletedPage {
        chrome: Chrome::new(&current, "Deleted recordings", Some(MenuItem::Recordings)),
        rows,
        show_company: scope == DataScope::Everything,
        days: settings.deleted_days,
        next_link: more.then(|| link(page + 1)),
        previous_link: (page > 0).then(|| link(page - 1)),
    };
    Ok(Html(page.render()?).into_response())
}

/// `POST /recordings/deleted/{id}/restore`.
pub(crate) async fn restore(
    State(state): State<AppState>,
    current: CurrentUser,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    require(&current, Role::DeleteRecordings)?;
    let id = RecordingId::parse(&id).ok_or(AppError::NotFound)?;
    let audit = current.audit_context(&client);
    match bin::restore(&state.store, &id, current.actor.scope(), &audit).await? {
        Restored::Restored => {
            Ok(Redirect::to("/recordings/deleted?done=recording-restored").into_response())
        }
        Restored::NotFound => Err(AppError::NotFound),
        Restored::ExternalIdTaken => Err(AppError::Conflict(
            "This recording cannot be restored: the phone system sent a recording with the same external id after it was deleted, and that one is in Recordings now.".into(),
        )),
    }
}
