//! `POST /company-settings/numbers`: Add numbers and Remove under Numbers
//! on Company settings (whoever may change the company's settings): the
//! E.164 ranges and extensions a shared SBC's calls are routed by and a
//! captured call's direction is told by.

use super::settings::{posted, section_outcome, Refused, SectionForm};
use crate::error::AppError;
use crate::form::FormData;
use crate::security::ClientAddr;
use crate::session::CurrentUser;
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use callrec_app::numbers;
use callrec_domain::permissions::DataScope;

pub(super) async fn change(
    State(state): State<AppState>,
    current: CurrentUser,
    ClientAddr(client): ClientAddr,
    form: FormData,
) -> Result<Response, AppError> {
    let company = posted(&state, &current, &form).await?;
    let audit = current.audit_context(&client);
    let by = numbers_by(&current);
    let outcome = match form.get("change") {
        "remove" => {
            let id: i64 = form
                .get("numbers_id")
                .parse()
                .map_err(|_| AppError::NotFound)?;
            numbers::remove_numbers(&state.store, id, Some(company.id), by, &audit)
                .await?
                .ok_or(AppError::NotFound)?;
            Ok("numbers-removed")
        }
        _ => numbers::add_numbers(
            &state.store,
            &company,
            form.get("first"),
            form.get("last"),
            state.config.default_country,
            by,
            &audit,
        )
        .await
        .map(|_| "numbers-added"),
    };
    section_outcome(
        &state,
        &current,
        company,
        outcome,
        "numbers-title",
        |message| Refused::Numbers(SectionForm::refused(message, &form, &["first", "last"])),
    )
    .await
}

/// Global users run the portal: they give phone numbers; a company's
/// administrators keep its extensions.
pub(super) fn numbers_by(current: &CurrentUser) -> numbers::NumbersBy {
    if current.actor.scope() == DataScope::Everything {
        numbers::NumbersBy::Operator
    } else {
        numbers::NumbersBy::Company
    }
}
