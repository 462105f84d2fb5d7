//! `POST /company-settings/capture`: Add source and Remove under Call
//! capture on Company settings (whoever may change the company's
//! settings): the SBCs whose calls the recording server takes, each with
//! optional SIP digest credentials.

use super::settings::{posted, section_outcome, Refused, SectionForm};
use crate::error::AppError;
use crate::form::FormData;
use crate::security::ClientAddr;
use crate::session::CurrentUser;
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use callrec_app::capture::{self, Sharing};
use callrec_domain::permissions::DataScope;
use callrec_domain::sip_credentials::SipCredentials;

pub(super) async fn change(
    State(state): State<AppState>,
    current: CurrentUser,
    ClientAddr(client): ClientAddr,
    form: FormData,
) -> Result<Response, AppError> {
    let company = posted(&state, &current, &form).await?;
    let audit = current.audit_context(&client);
    let outcome = match form.get("change") {
        "remove" => {
            let id: i64 = form
                .get("source_id")
                .parse()
                .map_err(|_| AppError::NotFound)?;
            capture::remove_source(&state.store, id, Some(company.id), &audit)
                .await?
                .ok_or(AppError::NotFound)?;
            Ok("source-removed")
        }
        _ => {
            // Global users run the portal: they may share an SBC between
            // companies; a company's administrator claims only free addresses.
            let sharing = if current.actor.scope() == DataScope::Everything {
                Sharing::MayShare
            } else {
                Sharing::OwnOnly
            };
            // Credentials are optional: both fields, or neither.
            let (username, password) = (form.get("sip_username"), form.get("sip_password"));
            let credentials = if username.trim().is_empty() && password.is_empty() {
                Ok(None)
            } else {
                SipCredentials::parse(username, password).map(Some)
            };
            match credentials {
                Ok(credentials) => capture::add_source(
                    &state.store,
                    &company,
                    Some(form.get("name")),
                    form.get("address"),
                    sharing,
                    credentials.as_ref().map(|c| (c, state.keyring.as_ref())),
                    &audit,
                )
                .await
                .map(|_| "source-added"),
                Err(invalid) => Err(invalid.into()),
            }
        }
    };
    // Refused: the reason beside the form, what was typed kept (never the password).
    section_outcome(
        &state,
        &current,
        company,
        outcome,
        "capture-title",
        |message| {
            let typed = ["address", "name", "sip_username"];
            Refused::Capture(SectionForm::refused(message, &form, &typed))
        },
    )
    .await
}
