//! `POST /company-settings/tags`: Add tag and Remove on Company settings
//! (whoever may change the company's settings).

use super::settings::{back_to, posted};
use crate::error::AppError;
use crate::form::FormData;
use crate::security::ClientAddr;
use crate::session::CurrentUser;
use crate::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use callrec_app::tags;
use callrec_domain::TagName;

pub(super) async fn change(
    State(state): State<AppState>,
    current: CurrentUser,
    ClientAddr(client): ClientAddr,
    form: FormData,
) -> Result<Response, AppError> {
    let company = posted(&state, &current, &form).await?;
    let audit = current.audit_context(&client);
    let done = match form.get("change") {
        "remove" => {
            let id: i64 = form.get("tag_id").parse().map_err(|_| AppError::NotFound)?;
            let list = state.store.company_tags(company.id).await?;
            let tag = list.iter().find(|t| t.id == id).ok_or(AppError::NotFound)?;
            tags::remove_tag(&state.store, &company, tag, &audit).await?;
            "tag-removed"
        }
        _ => {
            let name = TagName::parse(form.get("name"))?;
            tags::add_tag(&state.store, &company, &name, &audit).await?;
            "tag-added"
        }
    };
    Ok(Redirect::to(&format!("{}#tags-title", back_to(&current, &company, done))).into_response())
}
