//! `/` sends each user to their landing page; `/home` is the dashboard for
//! users with Access to Recordings, and greets the others.

mod dashboard;

pub use dashboard::DashboardCache;

use crate::error::AppError;
use crate::form::QueryData;
use crate::layout::Chrome;
use crate::session::{step_path, CurrentUser, MaybeUser};
use crate::urls::Route;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use callrec_domain::{MenuItem, Role};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(Route::Root.path(), get(root))
        .route(Route::Home.path(), get(home))
}

async fn root(MaybeUser(current): MaybeUser) -> Response {
    match current {
        Some(current) => {
            Redirect::to(step_path(current.sign_in_step(), current.actor.home())).into_response()
        }
        None => Redirect::to(Route::Login.path()).into_response(),
    }
}

#[derive(Template)]
#[template(path = "home/home.html")]
struct HomePage {
    chrome: Chrome,
    level: &'static str,
    dashboard: Option<std::sync::Arc<dashboard::Dashboard>>,
}

async fn home(
    State(state): State<AppState>,
    current: CurrentUser,
    QueryData(query): QueryData,
) -> Result<Html<String>, AppError> {
    let period = dashboard::HomePeriod::parse(query.get("period"));
    let dashboard = if current.actor.can(Role::Recordings) {
        Some(dashboard::load(&state, &current, period).await?)
    } else {
        None
    };
    let chrome = Chrome::new(&current, "Home", dashboard.as_ref().map(|_| MenuItem::Home));
    Ok(Html(
        HomePage {
            chrome,
            level: current.user.level.label(),
            dashboard,
        }
        .render()?,
    ))
}
