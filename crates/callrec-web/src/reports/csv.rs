//! CSV downloads built a batch at a time as the client reads: memory stays
//! bounded, and a failure part-way breaks the download rather than ending
//! it as if complete (the audit export and the call detail export).

use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use callrec_domain::csv::csv_line;
use futures_util::StreamExt;
use std::future::Future;

/// A CSV attachment named `name`: the `header` row, then the text of each
/// batch `next` returns from the state before it (`None`: the end).
pub(crate) fn csv_download<S, F, Fut, E>(name: &str, header: &[&str], start: S, next: F) -> Response
where
    S: Send + 'static,
    F: Fn(S) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Option<(String, S)>, E>> + Send,
    E: std::fmt::Display,
{
    let first = Bytes::from(csv_line(header));
    let next = std::sync::Arc::new(next);
    let rows = futures_util::stream::unfold(Some(start), move |state| {
        let next = next.clone();
        async move {
            match next(state?).await {
                Ok(Some((text, state))) => Some((Ok(Bytes::from(text)), Some(state))),
                Ok(None) => None,
                Err(err) => {
                    tracing::error!("a CSV export stopped part-way: {err}");
                    Some((
                        Err(std::io::Error::other("the export stopped part-way")),
                        None,
                    ))
                }
            }
        }
    });
    let body = futures_util::stream::once(async { Ok::<_, std::io::Error>(first) }).chain(rows);
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        Body::from_stream(body),
    )
        .into_response()
}
