//! The Recordings page. Ingest, search and playback arrive with the
//! recordings store; until then the page says plainly that there are none.

use crate::error::AppError;
use crate::layout::Chrome;
use crate::session::CurrentUser;
use crate::users::require;
use crate::AppState;
use askama::Template;
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use callrec_domain::{MenuItem, Role};

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/recordings", get(recordings_page))
}

#[derive(Template)]
#[template(path = "recordings/recordings.html")]
struct RecordingsPage {
    chrome: Chrome,
}

async fn recordings_page(current: CurrentUser) -> Result<Html<String>, AppError> {
    require(&current, Role::Recordings)?;
    Ok(Html(
        RecordingsPage {
            chrome: Chrome::new(&current, "Recordings", Some(MenuItem::Recordings)),
        }
        .render()?,
    ))
}
