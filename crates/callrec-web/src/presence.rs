//! "Confirm it's you": a change that a stolen session must not be able to
//! make — weakening the user's own MFA, showing a new secret, making
//! credentials or raising someone's access, shortening retention — asks
//! for the user's strongest factor first. A confirmation holds in its
//! session for a few minutes (`callrec_app::mfa::CONFIRMED_FOR_SECONDS`).

use crate::error::AppError;
use crate::form::FormData;
use crate::layout::Chrome;
use crate::session::CurrentUser;
use crate::AppState;
use askama::Template;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use callrec_app::audit::AuditContext;
use callrec_app::mfa::{self, Proof};

#[derive(Template)]
#[template(path = "mfa/confirm.html")]
struct ConfirmPage {
    chrome: Chrome,
    heading: &'static str,
    action: String,
    hidden: Vec<(String, String)>,
    return_to: String,
    what: &'static str,
    proof: Proof,
    error: Option<&'static str>,
}

/// A change that needs proof of presence first: the request to make it,
/// with the form fields that describe it.
pub(crate) struct ProvePresence<'a> {
    /// The page's heading under the pop-up.
    pub heading: &'static str,
    pub action: String,
    /// The fields the form is sent again with (`FormData::resent`).
    pub hidden: Vec<(String, String)>,
    /// What is about to happen, in one sentence.
    pub what: &'static str,
    pub return_to: String,
    pub form: &'a FormData,
    /// Whether a confirmation of the last few minutes in this session
    /// counts; weakening the user's own MFA always asks afresh.
    pub recent_counts: bool,
}

impl ProvePresence<'_> {
    /// `None` when the session confirmed presence a moment ago or the form
    /// carries a proof that holds (`current` then says so too); otherwise the "Confirm it's you" pop-up
    /// (again, with what was wrong).
    pub async fn check(
        self,
        state: &AppState,
        current: &mut CurrentUser,
        audit: &AuditContext,
    ) -> Result<Option<Response>, AppError> {
        if self.recent_counts && mfa::still_confirmed(current.confirmed_at, current.now) {
            return Ok(None);
        }
        let error = if self.form.checked("confirming") {
            let presence = mfa::confirm_presence(
                state.mfa(),
                &state.passwords,
                &current.user,
                &current.session_hash,
                self.form.get("proof"),
                audit,
            )
            .await?;
            match presence.refusal() {
                None => {
                    // As the session now records it: the use case asked
                    // next sees a caller who is present.
                    current.confirmed_at = Some(current.now);
                    return Ok(None);
                }
                Some(error) => Some(error),
            }
        } else {
            None
        };
        let page = ConfirmPage {
            chrome: Chrome::new(current, "Confirm it's you", None),
            heading: self.heading,
            action: self.action,
            hidden: self.hidden,
            return_to: self.return_to,
            what: self.what,
            proof: Proof::for_user(&current.user),
            error,
        };
        let status = if error.is_some() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        };
        // The pop-up carries the form as typed (a new user's password too).
        Ok(Some(
            (
                status,
                [(header::CACHE_CONTROL, "no-store")],
                Html(page.render()?),
            )
                .into_response(),
        ))
    }
}
