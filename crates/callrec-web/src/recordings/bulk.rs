//! `POST /recordings/download`: Download selected (the ticked rows) or
//! Download all matching (the whole search, up to
//! CALLREC_BULK_DOWNLOAD_MAX) as one streamed ZIP. Role Access to Download
//! Recordings; audited once, before the first byte.

use super::{search_of, BulkProblem, Filters, PER_PAGE};
use crate::error::AppError;
use crate::form::FormData;
use crate::security::ClientAddr;
use crate::session::require;
use crate::session::CurrentUser;
use crate::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use callrec_app::records::bulk::{audit_download, Archive};
use callrec_domain::recording::RecordingId;
use callrec_domain::Role;
use callrec_store::PageFrom;

/// Chunks of the archive waiting to be sent: the memory a download holds
/// is this many read buffers.
const QUEUED_CHUNKS: usize = 4;

pub(crate) async fn download(
    State(state): State<AppState>,
    current: CurrentUser,
    ClientAddr(client): ClientAddr,
    form: FormData,
) -> Result<Response, AppError> {
    require(&current, Role::DownloadRecordings)?;
    let max = state.config.records.bulk_download_max;
    let scope = current.actor.scope();
    // What cannot be done is said on the Recordings page, with the search
    // and the ticked rows as they were.
    let refuse = |message: String| {
        let selected = form.all("id").map(str::to_string).collect();
        let problem = BulkProblem {
            message: Some(message),
            selected,
        };
        super::render_page(&state, &current, &form, problem)
    };
    let recordings = match form.get("take") {
        "search" => {
            let filters = Filters::from_query(&form);
            let (search, errors) =
                search_of(&state, &current, &filters, PageFrom::Start, PER_PAGE).await?;
            if !errors.is_empty() {
                return refuse(errors.sentences()).await;
            }
            let found = state
                .store
                .recordings_matching(&search, i64::from(max) + 1)
                .await?;
            if found.len() > max as usize {
                return refuse(format!(
                    "The search matches more than {max} recordings, the most one download takes. Narrow it (a shorter time range, a user or a team) and download each part."
                )).await;
            }
            found
        }
        _ => {
            let ids: Vec<RecordingId> = form
                .all("id")
                .map(|id| RecordingId::parse(id).ok_or(AppError::NotFound))
                .collect::<Result<_, _>>()?;
            if ids.is_empty() {
                return refuse(
                    "Select the recordings to download first (the boxes at the start of each row, or Select all on this page).".into(),
                ).await;
            }
            if ids.len() > max as usize {
                return refuse(format!(
                    "{} recordings are selected; at most {max} can be downloaded at once. Untick some, or narrow the search.",
                    ids.len()
                )).await;
            }
            let found = state.store.recordings_with_ids(&ids, scope).await?;
            let unique: std::collections::HashSet<&str> =
                ids.iter().map(RecordingId::as_str).collect();
            if found.len() != unique.len() {
                // One of them is not there, or not in the viewer's reach.
                return Err(AppError::NotFound);
            }
            found
        }
    };
    if recordings.is_empty() {
        return refuse("No recordings match this search: there is nothing to download.".into())
            .await;
    }
    let audit = current.audit_context(&client);
    audit_download(&state.store, &recordings, &audit).await?;
    let (sender, receiver) = tokio::sync::mpsc::channel(QUEUED_CHUNKS);
    let zone = current.zone.clone();
    let now_ms = state.clock.now_ms();
    let task_state = state.clone();
    tokio::spawn(async move {
        let state = task_state;
        let archive = Archive {
            store: &state.store,
            blobs: &state.blobs,
            keys: &state.data_keys,
            zone: &zone,
            audit: &audit,
            now_ms,
        };
        archive.write(recordings, sender).await;
    });
    let chunks = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|chunk| (chunk, receiver))
    });
    let name = format!("recordings-{}.zip", zone_stamp(&current, now_ms));
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        Body::from_stream(chunks),
    )
        .into_response())
}

/// `2026-11-28_1015`: when the archive was made, in the viewer's zone.
fn zone_stamp(current: &CurrentUser, now_ms: i64) -> String {
    current
        .zone
        .input_value(now_ms)
        .replace('T', "_")
        .replace(':', "")
}
