//! `POST /company-settings/capture`: Add source and Remove under Call
//! capture on Company settings (whoever may change the company's
//! settings): the SBCs whose calls the recording server takes, each with
//! optional SIP digest credentials.

use super::settings::{back_to, posted, render, Refused, SectionForm};
use crate::error::AppError;
use crate::form::FormData;
use crate::security::ClientAddr;
use crate::session::CurrentUser;
use crate::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
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
    let done = match form.get("change") {
        "remove" => {
            let id: i64 = form
                .get("source_id")
                .parse()
                .map_err(|_| AppError::NotFound)?;
            capture::remove_source(&state.store, id, Some(company.id), &audit)
                .await?
                .ok_or(AppError::NotFound)?;
            "source-removed"
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
            let added = match credentials {
                Ok(credentials) => {
                    capture::add_source(
                        &state.store,
                        &company,
                        Some(form.get("name")),
                        form.get("address"),
                        sharing,
                        credentials.as_ref().map(|c| (c, state.keyring.as_ref())),
                        &audit,
                    )
                    .await
                }
                Err(invalid) => Err(invalid.into()),
            };
            match added {
                Ok(_) => "source-added",
                // The page again, the reason beside the form, what was typed kept.
                Err(callrec_app::Error::Invalid(error)) => {
                    let refused = SectionForm::refused(
                        error.message,
                        &form,
                        &["address", "name", "sip_username"],
                    );
                    let refused = Refused::Capture(refused);
                    return render(&state, &current, Some(company), Some(refused), None).await;
                }
                Err(other) => return Err(other.into()),
            }
        }
    };
    Ok(Redirect::to(&format!(
        "{}#capture-title",
        back_to(&current, &company, done)
    ))
    .into_response())
}
