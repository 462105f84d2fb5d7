//! A recording's page: the player first (at `?t=` seconds), then the
//! call's facts, its holds and retention, and its fingerprint (the SHA-256
//! taken at ingest) last, within the user's scope; with the previous and
//! next call of the search it was opened from (`?back=`).

use super::audio::find;
use super::{search_of, Filters, Player};
use crate::error::AppError;
use crate::form::{FormData, QueryData};
use crate::layout::Chrome;
use crate::security::ClientAddr;
use crate::session::require;
use crate::session::CurrentUser;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use callrec_app::notes;
use callrec_app::transcription::reading::TranscriptStatus;
use callrec_domain::audit::AuditAction;
use callrec_domain::marks::MarkKind;
use callrec_domain::permissions::DataScope;
use callrec_domain::time::clock_text;
use callrec_domain::{MenuItem, Role};
use callrec_store::{AuditQuery, Cursor, PageFrom, Recording, RecordingQuery};

#[derive(Template)]
#[template(path = "recordings/details.html")]
struct DetailsPage {
    chrome: Chrome,
    recording: Recording,
    started: String,
    duration: String,
    size: String,
    show_company: bool,
    can_hold: bool,
    can_delete: bool,
    /// When the hold was placed, in the viewer's zone.
    held_at: String,
    /// When retention deletes it, in the viewer's zone (`None`: forever).
    kept_until: Option<String>,
    retention: String,
    player: Player,
    /// What was said (Transcript).
    transcript: super::transcript::TranscriptPanel,
    notes: Vec<NoteRow>,
    /// What the phone system marked on the timeline (captured calls).
    marks: Vec<MarkRow>,
    /// The node capturing the call stopped during it.
    incomplete: bool,
    /// The company's tags: (id, name, on this recording).
    tags: Vec<(i64, String, bool)>,
    /// The search it was opened from, as sent back by its forms.
    back: String,
    /// Plays and downloads from the audit log (Access to Audit Log).
    listened: Option<Vec<Listen>>,
    /// Recordings with the search it was opened from.
    back_link: String,
    /// The newer and older call of that search.
    previous_link: Option<String>,
    next_link: Option<String>,
}

/// A pause or key press as the page shows it.
struct MarkRow {
    label: &'static str,
    /// `0:12` or `0:12–0:45`.
    at: String,
    from_seconds: f64,
    to_seconds: f64,
    span: bool,
}

/// A note as the page shows it.
struct NoteRow {
    id: i64,
    author: String,
    /// `1:23` into the call, and the same in seconds (for seeking).
    at: String,
    at_seconds: i64,
    /// When it was written, in the viewer's zone.
    written: String,
    changed: bool,
    text: String,
    /// The viewer wrote it, less than a day ago.
    can_change: bool,
}

/// A play or download of the recording.
struct Listen {
    at: String,
    who: String,
    what: &'static str,
}

/// `1.2 MB` (decimal, as file managers show).
fn size_text(bytes: i64) -> String {
    match bytes {
        b if b >= 1_000_000 => format!("{:.1} MB", b as f64 / 1e6),
        b if b >= 1_000 => format!("{:.1} kB", b as f64 / 1e3),
        b => format!("{b} bytes"),
    }
}

/// The calls just before and after `recording` in the search `back` (a
/// Recordings query string), as links that keep it.
async fn neighbours(
    state: &AppState,
    current: &CurrentUser,
    recording: &Recording,
    back: &str,
) -> Result<(Option<String>, Option<String>), AppError> {
    let filters = Filters::from_query(&FormData::parse(back.as_bytes()));
    let cursor = Cursor {
        started_at_ms: recording.started_at_ms,
        id: recording.id.as_str().to_string(),
    };
    let keep = crate::form::query_string([("back", back)]);
    // The search is worked out once (Words said reads the word keys).
    let (search, errors) = search_of(state, current, &filters, PageFrom::Start, 1).await?;
    if !errors.is_empty() {
        return Ok((None, None));
    }
    let mut links = [None, None];
    for (slot, from) in [PageFrom::Before(cursor.clone()), PageFrom::After(cursor)]
        .into_iter()
        .enumerate()
    {
        let search = RecordingQuery {
            from,
            ..search.clone()
        };
        let page = state.store.search_recordings(&search).await?;
        links[slot] = page
            .items
            .first()
            .map(|r| format!("/recordings/{}{keep}", r.id));
    }
    let [previous, next] = links;
    Ok((previous, next))
}

/// `GET /recordings/{id}`: `?t=` opens the player there, `?back=` is the
/// search it came from.
pub(crate) async fn details_page(
    State(state): State<AppState>,
    current: CurrentUser,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
    QueryData(query): QueryData,
) -> Result<Response, AppError> {
    require(&current, Role::Recordings)?;
    let recording = find(&state, &current, &id).await?;
    let back = query.get("back");
    let (previous_link, next_link) = neighbours(&state, &current, &recording, back).await?;
    let can_download = current.actor.can(Role::DownloadRecordings);
    let started = current.zone.format_ms(recording.started_at_ms);
    let notes = notes::notes_of(&state.store, &state.data_keys, &recording)
        .await?
        .into_iter()
        .map(|note| NoteRow {
            id: note.id,
            author: note.author.clone(),
            at: clock_text(note.at_ms),
            at_seconds: note.at_ms / 1000,
            written: current.zone.format_minutes(note.created_at),
            changed: note.changed_at.is_some(),
            can_change: note.may_change(current.user.id, current.now),
            text: note.text,
        })
        .collect();
    let marks = state.store.recording_marks(&recording.id).await?;
    let incomplete = marks.iter().any(|m| m.kind == MarkKind::Incomplete);
    let marks = marks
        .into_iter()
        .filter(|m| m.kind != MarkKind::Incomplete)
        .map(|m| MarkRow {
            label: m.kind.label(),
            at: if m.end_ms > m.start_ms {
                format!("{}–{}", clock_text(m.start_ms), clock_text(m.end_ms))
            } else {
                clock_text(m.start_ms)
            },
            from_seconds: m.start_ms as f64 / 1000.0,
            to_seconds: m.end_ms as f64 / 1000.0,
            span: m.end_ms > m.start_ms,
        })
        .collect();
    let on = state.store.recording_tags(&recording.id).await?;
    let tags = state
        .store
        .company_tags(recording.company_id)
        .await?
        .into_iter()
        .map(|tag| {
            let carried = on.iter().any(|t| t.id == tag.id);
            (tag.id, tag.name, carried)
        })
        .collect();
    let company = state
        .store
        .company(recording.company_id)
        .await?
        .ok_or(AppError::NotFound)?;
    // Before Who listened, which then lists this reading too.
    let transcript =
        super::transcript::panel(&state, &current, &client, &recording, company.transcription)
            .await?;
    let listened = if current.actor.can(Role::AuditLog) {
        let query = AuditQuery {
            company: Some(recording.company_id),
            target: Some(recording.id.as_str().to_string()),
            actions: vec![
                AuditAction::RecordingPlayed,
                AuditAction::RecordingDownloaded,
                AuditAction::TranscriptRead,
                AuditAction::TranscriptDownloaded,
            ],
            limit: 50,
            ..AuditQuery::default()
        };
        let entries = state.store.audit_entries(&query).await?;
        Some(
            entries
                .into_iter()
                .map(|entry| Listen {
                    at: current.zone.format_minutes(entry.at),
                    who: entry.actor_name.unwrap_or_else(|| "—".into()),
                    what: match AuditAction::from_code(&entry.action) {
                        Some(AuditAction::RecordingPlayed) => "Played",
                        Some(AuditAction::TranscriptRead) => "Read the transcript",
                        Some(AuditAction::TranscriptDownloaded) => "Downloaded the transcript",
                        _ => "Downloaded",
                    },
                })
                .collect(),
        )
    } else {
        None
    };
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
        started: started.clone(),
        duration: clock_text(recording.duration_ms),
        size: size_text(recording.size_bytes),
        show_company: current.actor.scope() == DataScope::Everything,
        transcript,
        player: Player::for_call(&recording, &started, query.get("t"), can_download),
        notes,
        marks,
        incomplete,
        tags,
        listened,
        back: back.to_string(),
        back_link: if back.is_empty() {
            "/recordings".into()
        } else {
            format!("/recordings?{back}")
        },
        previous_link,
        next_link,
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
