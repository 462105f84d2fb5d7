//! The stylesheet and script, compiled into the binary: the portal needs no
//! CDN and works offline.

use crate::urls::Route;
use crate::AppState;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

const CSS: &str = include_str!("assets/app.css");
/// The portal's icon (browsers ask for `/favicon.ico` whatever the page says).
const ICON: &str = include_str!("assets/icon.svg");
/// The page script and the player, served as one file.
const JS: &str = concat!(
    include_str!("assets/app.js"),
    include_str!("assets/player.js")
);

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            Route::StyleSheet.path(),
            get(|| async { asset("text/css; charset=utf-8", CSS) }),
        )
        .route(
            Route::Script.path(),
            get(|| async { asset("text/javascript; charset=utf-8", JS) }),
        )
        .route(
            Route::Icon.path(),
            get(|| async { asset("image/svg+xml", ICON) }),
        )
}

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
}
