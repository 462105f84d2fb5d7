//! Recovery codes on the web: the "Save your recovery codes" pop-up (after
//! a registration, and after My MFA → New recovery codes) and its Continue.

use crate::error::AppError;
use crate::form::FormData;
use crate::layout::Chrome;
use crate::presence::ProvePresence;
use crate::security::ClientAddr;
use crate::session::require;
use crate::session::CurrentUser;
use crate::urls::Route;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use callrec_app::mfa;
use callrec_domain::recovery::{download_text, RecoveryCode};
use callrec_domain::{MenuItem, Role};

/// What the pop-up shows: the codes, the same as text for Copy and as a
/// file for Download, and where Continue goes.
pub(super) struct CodesView {
    pub codes: Vec<String>,
    pub text: String,
    pub download_href: String,
    pub return_to: &'static str,
}

impl CodesView {
    pub fn new(
        state: &AppState,
        username: &str,
        codes: &[RecoveryCode],
        return_to: &'static str,
    ) -> CodesView {
        let text = download_text(&state.config.mfa.issuer, username, codes);
        CodesView {
            codes: codes.iter().map(RecoveryCode::display).collect(),
            download_href: format!("data:text/plain;charset=utf-8,{}", percent_encode(&text)),
            text,
            return_to,
        }
    }
}

/// Everything but unreserved characters as `%XX` (a data URI's body).
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The pop-up over a bare page, right after a registration is confirmed
/// (the sign-in pop-ups have no menu behind them).
#[derive(Template)]
#[template(path = "mfa/recovery_codes_page.html")]
pub(super) struct CodesAfterRegistration {
    pub codes: CodesView,
}

/// The pop-up over the portal, after My MFA → New recovery codes.
#[derive(Template)]
#[template(path = "mfa/new_recovery_codes.html")]
struct NewCodesPage {
    chrome: Chrome,
    codes: CodesView,
}

/// My MFA → New recovery codes: after "Confirm it's you", a new set
/// replaces the old one.
pub(crate) async fn new_codes(
    State(state): State<AppState>,
    mut current: CurrentUser,
    ClientAddr(client): ClientAddr,
    form: FormData,
) -> Result<Response, AppError> {
    require(&current, Role::ManageOwnMfa)?;
    let back = MenuItem::return_path(form.get("return_to"));
    if !current.user.mfa_registered {
        return Ok(Redirect::to(back).into_response());
    }
    let audit = current.audit_context(&client);
    let prove = ProvePresence {
        heading: "My MFA",
        action: Route::NewRecoveryCodes.path().to_string(),
        hidden: Vec::new(),
        what: "You are making new recovery codes; the ones you have now stop working.",
        return_to: back.to_string(),
        form: &form,
        recent_counts: false,
    };
    if let Some(ask) = prove.check(&state, &mut current, &audit).await? {
        return Ok(ask);
    }
    let session = &current.session_hash;
    let codes = mfa::new_recovery_codes(state.mfa(), &current.user, session, &audit).await?;
    let page = NewCodesPage {
        chrome: Chrome::new(&current, "Save your recovery codes", None),
        codes: CodesView::new(&state, &current.user.username, &codes, back),
    };
    Ok(Html(page.render()?).into_response())
}

/// Continue under "I have saved these codes". The box is ticked before
/// Continue works in the browser; a form without it lands on a reminder.
pub(crate) async fn saved(_signed_in: CurrentUser, form: FormData) -> Response {
    let back = MenuItem::return_path(form.get("return_to"));
    if form.checked("saved") {
        Redirect::to(back).into_response()
    } else {
        Redirect::to(&format!("{back}?done=recovery-codes-unsaved")).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::percent_encode;

    #[test]
    fn data_uri_bodies_are_escaped() {
        assert_eq!(percent_encode("ab-12\n"), "ab-12%0A");
        assert_eq!(percent_encode("a b#%"), "a%20b%23%25");
    }
}
