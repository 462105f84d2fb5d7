//! A recording's details: every field of the row, its size and format, and
//! its fingerprint (the SHA-256 taken at ingest), within the user's scope.

use super::audio::find;
use super::duration_text;
use crate::error::AppError;
use crate::layout::Chrome;
use crate::session::require;
use crate::session::CurrentUser;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use callrec_domain::permissions::DataScope;
use callrec_domain::{MenuItem, Role};
use callrec_store::Recording;

#[derive(Template)]
#[template(path = "recordings/details.html")]
struct DetailsPage {
    chrome: Chrome,
    recording: Recording,
    started: String,
    duration: String,
    size: String,
    show_company: bool,
    can_download: bool,
    can_hold: bool,
    can_delete: bool,
    /// When the hold was placed, in the viewer's zone.
    held_at: String,
    /// When retention deletes it, in the viewer's zone (`None`: forever).
    kept_until: Option<String>,
    retention: String,
}

/// `1.2 MB` (decimal, as file managers show).
fn size_text(bytes: i64) -> String {
    match bytes {
        b if b >= 1_000_000 => format!("{:.1} MB", b as f64 / 1e6),
        b if b >= 1_000 => format!("{:.1} kB", b as f64 / 1e3),
        b => format!("{b} bytes"),
    }
}

/// `GET /recordings/{id}`.
pub(crate) async fn details_page(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    require(&current, Role::Recordings)?;
    let recording = find(&state, &current, &id).await?;
    let company = state
        .store
        .company(recording.company_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let company_zone = company.zone(&state.config.default_time_zone);
    let page = DetailsPage {
        can_hold: current.actor.can(Role::LegalHold),
        can_delete: current.actor.can(Role::DeleteRecordings),
        held_at: recording
            .hold
            .as_ref()
            .map(|hold| current.zone.format_minutes(hold.at))
            .unwrap_or_default(),
        kept_until: company
            .retention_rule()
            .kept_until(&company_zone, recording.started_at_ms),
        retention: company.retention_rule().in_force(current.now).to_string(),
        chrome: Chrome::new(&current, "Recording details", Some(MenuItem::Recordings)),
        started: current.zone.format_ms(recording.started_at_ms),
        duration: duration_text(recording.duration_ms),
        size: size_text(recording.size_bytes),
        show_company: current.actor.scope() == DataScope::Everything,
        can_download: current.actor.can(Role::DownloadRecordings),
        recording,
    };
    Ok(Html(page.render()?).into_response())
}

#[cfg(test)]
mod tests {
    use super::size_text;

    #[test]
    fn sizes_read_as_people_expect() {
        assert_eq!(size_text(512), "512 bytes");
        assert_eq!(size_text(48_000), "48.0 kB");
        assert_eq!(size_text(190_000_044), "190.0 MB");
    }
}
