//! `/` sends each user to their landing page; `/home` greets users whose
//! roles give them no menu entries.

use crate::error::AppError;
use crate::layout::Chrome;
use crate::session::{step_path, CurrentUser, MaybeUser};
use crate::AppState;
use askama::Template;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(root))
        .route("/home", get(home))
}

async fn root(MaybeUser(current): MaybeUser) -> Response {
    match current {
        Some(current) => {
            Redirect::to(step_path(current.sign_in_step(), current.actor.home())).into_response()
        }
        None => Redirect::to("/login").into_response(),
    }
}

#[derive(Template)]
#[template(path = "home/home.html")]
struct HomePage {
    chrome: Chrome,
    level: &'static str,
}

async fn home(current: CurrentUser) -> Result<Html<String>, AppError> {
    Ok(Html(
        HomePage {
            chrome: Chrome::new(&current, "Home", None),
            level: current.user.level.label(),
        }
        .render()?,
    ))
}
