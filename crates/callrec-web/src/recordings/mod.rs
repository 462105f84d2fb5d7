//! The Recordings page: filters as a shareable GET form, newest first, 50 a
//! page by keyset, with Play, Download, Details and Delete on each row.

pub(crate) mod audio;
mod bulk;
mod deleted;
mod details;
mod filters;
mod holds;
mod notes;
mod player;
mod selected;
mod tags;
mod transcript;
mod waveform;

pub(crate) use player::Player;

pub(crate) use filters::{search_of, tags_for, FilterErrors, FilterLists, Filters};

use crate::error::AppError;
use crate::form::{FormData, QueryData};
use crate::layout::{Choice, Chrome};
use crate::session::require;
use crate::session::CurrentUser;
use crate::urls::Route;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use callrec_domain::permissions::DataScope;
use callrec_domain::recording::RecordingId;
use callrec_domain::retention::RetentionRule;
use callrec_domain::time::clock_text;
use callrec_domain::zone::Zone;
use callrec_domain::{CompanyId, MenuItem, PhoneNumber, Role};
use callrec_store::{Cursor, PageFrom};
use std::collections::{HashMap, HashSet};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(Route::Recordings.path(), get(recordings_page))
        .route(Route::Recording.path(), get(details::details_page))
        .route(Route::RecordingAudio.path(), get(audio::stream))
        .route(Route::RecordingDownload.path(), get(audio::download))
        .route(Route::RecordingWaveform.path(), get(waveform::waveform))
        .route(Route::RecordingNotes.path(), post(notes::change))
        .route(
            Route::RecordingTranscript.path(),
            get(transcript::download).post(transcript::queue),
        )
        .route(Route::RecordingTags.path(), post(tags::set))
        .route(Route::TagSelected.path(), post(selected::tag))
        .route(Route::RecordingDelete.path(), post(audio::delete))
        .route(Route::RecordingHold.path(), post(holds::place))
        .route(Route::RecordingRelease.path(), post(holds::release))
        .route(Route::HoldMatching.path(), post(holds::matching))
        .route(Route::DownloadSelected.path(), post(bulk::download))
        .route(Route::HoldSelected.path(), post(selected::hold))
        .route(Route::DeleteSelected.path(), post(selected::delete))
        .route(Route::DeletedRecordings.path(), get(deleted::deleted_page))
        .route(Route::RecordingRestore.path(), post(deleted::restore))
}

const PER_PAGE: u32 = 50;

/// A recording id on the page: 32 hex digits by `RecordingId`'s
/// construction, so it needs no HTML escaping (it appears seven times a
/// row, and escaping was the page's largest rendering cost).
pub(crate) struct PageId(RecordingId);

impl std::fmt::Display for PageId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl askama::filters::HtmlSafe for PageId {}

/// How long a row is kept: the Kept until column.
pub(crate) enum Kept {
    OnHold,
    /// The date (in the viewer's zone) the purge job deletes it.
    Until(String),
    Forever,
}

pub(crate) struct RecordingRow {
    pub kept: Kept,
    pub id: PageId,
    pub started: String,
    pub direction: &'static str,
    pub calling: PhoneNumber,
    pub called: PhoneNumber,
    pub user: String,
    pub team: String,
    pub company: String,
    pub duration: String,
    /// `&t=83` (or `?t=83`): where its page opens — the first moment a
    /// searched word was said.
    pub at: String,
}

#[derive(Template)]
#[template(path = "recordings/recordings.html")]
struct RecordingsPage {
    chrome: Chrome,
    /// The zone times are shown and typed in.
    zone: String,
    filters: Filters,
    filter_errors: FilterErrors,
    rows: Vec<RecordingRow>,
    directions: Vec<Choice>,
    users: Vec<Choice>,
    teams: Vec<Choice>,
    companies: Vec<Choice>,
    periods: Vec<Choice>,
    tags: Vec<Choice>,
    /// The viewer's company's tags, for Tag… on the ticked rows.
    own_tags: Vec<(i64, String)>,
    show_company: bool,
    can_download: bool,
    can_delete: bool,
    /// Rows can be ticked: some bulk action is allowed.
    can_select: bool,
    next_link: Option<String>,
    previous_link: Option<String>,
    delete_target: Option<(String, String)>,
    /// The bulk hold dialog: placing (true) or releasing, and the counts.
    hold_target: Option<BulkHold>,
    can_hold: bool,
    any_filter: bool,
    /// The filters as hidden fields, for the forms that act on the search.
    hidden_filters: Vec<(&'static str, String)>,
    hold_link: String,
    release_link: String,
    /// The Call detail report of the same search.
    report_link: String,
    bulk_max: u32,
    deleted_days: u32,
    /// What a bulk action on the page could not do, with the rows that
    /// were ticked still ticked.
    bulk_problem: Option<String>,
    selected: HashSet<String>,
    selected_count: usize,
    /// `?back=…`: the search, for the recording's page to go back to.
    back_query: String,
    player: Player,
}

/// A bulk action refused on the Recordings page: why, and the rows ticked.
#[derive(Default)]
pub(crate) struct BulkProblem {
    pub message: Option<String>,
    pub selected: HashSet<String>,
}

/// The confirm dialog of Place on hold / Release hold for every recording
/// matching the search.
pub(crate) struct BulkHold {
    place: bool,
    matching: i64,
    held: i64,
    /// Matching recordings in Deleted recordings (held or released too).
    deleted: i64,
}

/// When each company on a page deletes its recordings: its retention and
/// the zone its months count in.
async fn retention_of(
    state: &AppState,
    companies: impl Iterator<Item = CompanyId>,
) -> Result<HashMap<CompanyId, (RetentionRule, Zone)>, AppError> {
    let wanted: HashSet<CompanyId> = companies.collect();
    let listed = match wanted.len() {
        0 => Vec::new(),
        1 => {
            let only = *wanted.iter().next().expect("one company");
            state.store.company(only).await?.into_iter().collect()
        }
        _ => state.store.list_companies().await?,
    };
    Ok(listed
        .into_iter()
        .filter(|c| wanted.contains(&c.id))
        .map(|c| {
            let zone = c.zone(&state.config.default_time_zone);
            (c.id, (c.retention_rule(), zone))
        })
        .collect())
}

async fn recordings_page(
    State(state): State<AppState>,
    current: CurrentUser,
    QueryData(query): QueryData,
) -> Result<Response, AppError> {
    render_page(&state, &current, &query, BulkProblem::default()).await
}

/// The Recordings page for `query` (its filters and page), with what a
/// bulk action could not do, if anything (422 then).
pub(crate) async fn render_page(
    state: &AppState,
    current: &CurrentUser,
    query: &FormData,
    problem: BulkProblem,
) -> Result<Response, AppError> {
    require(current, Role::Recordings)?;
    let actor = &current.actor;
    let scope = actor.scope();
    let filters = Filters::from_query(query);
    let from = match (
        Cursor::parse(query.get("after")),
        Cursor::parse(query.get("before")),
    ) {
        (Some(cursor), _) => PageFrom::After(cursor),
        (None, Some(cursor)) => PageFrom::Before(cursor),
        _ => PageFrom::Start,
    };
    let global = scope == DataScope::Everything;
    let (search, filter_errors) = search_of(state, current, &filters, from, PER_PAGE).await?;
    // A filter that does not parse lists nothing (and says so), never
    // every recording: bulk actions would act on what is listed.
    let page = if filter_errors.is_empty() {
        state.store.search_recordings(&search).await?
    } else {
        callrec_store::RecordingPage {
            items: Vec::new(),
            next: None,
            previous: None,
            filter_choices: state.store.filter_choices(scope).await?,
        }
    };
    let retention = retention_of(state, page.items.iter().map(|r| r.company_id)).await?;
    let back_query = match filters.query_string(&[]) {
        search if search.is_empty() => String::new(),
        search => crate::form::query_string([("back", search.trim_start_matches('?'))]),
    };
    // A Words said search opens each call where its first word was said.
    let said_at = match search.said.first() {
        Some(hashes) => {
            let ids: Vec<String> = page
                .items
                .iter()
                .map(|r| r.id.as_str().to_string())
                .collect();
            state.store.first_said(&ids, hashes).await?
        }
        None => HashMap::new(),
    };
    let rows = page
        .items
        .iter()
        .map(|r| RecordingRow {
            id: PageId(r.id.clone()),
            started: current.zone.format_ms(r.started_at_ms),
            direction: r.direction.label(),
            calling: r.calling_number.clone(),
            called: r.called_number.clone(),
            user: r.username.clone().unwrap_or_default(),
            team: r.team_name.clone().unwrap_or_default(),
            company: r.company_name.clone(),
            duration: clock_text(r.duration_ms),
            at: said_at
                .get(r.id.as_str())
                .map(|ms| {
                    let joint = if back_query.is_empty() { '?' } else { '&' };
                    format!("{joint}t={}", ms / 1000)
                })
                .unwrap_or_default(),
            kept: match retention.get(&r.company_id) {
                _ if r.held => Kept::OnHold,
                Some((rule, zone)) => match rule.kept_until(zone, r.started_at_ms) {
                    Some(day) => Kept::Until(day),
                    None => Kept::Forever,
                },
                None => Kept::Forever,
            },
        })
        .collect();

    let tags = filters::tags_for(state, current).await?;
    // Tag… offers the viewer's own company's tags: the filter's list,
    // except for an operator, whose filter lists every company's.
    let own_tags: Vec<(i64, String)> = if global {
        state.store.company_tags(actor.company_id).await?
    } else {
        tags.clone()
    }
    .into_iter()
    .map(|t| (t.id, t.name))
    .collect();
    let lists = FilterLists::new(page.filter_choices, tags, &filters, global);
    let hold_target = match query.get("hold") {
        "" => None,
        _ if !filter_errors.is_empty() => None,
        which => {
            require(current, Role::LegalHold)?;
            let (matching, held) = state.store.count_matching(&search).await?;
            Some(BulkHold {
                place: which != "release",
                matching,
                held,
                deleted: state.store.count_deleted_matching(&search).await?,
            })
        }
    };
    let delete_target = match query.get("delete") {
        "" => None,
        id => {
            let id = RecordingId::parse(id).ok_or(AppError::NotFound)?;
            require(current, Role::DeleteRecordings)?;
            let recording = state
                .store
                .recording_in_scope(&id, scope)
                .await?
                .ok_or(AppError::NotFound)?;
            let label = format!(
                "{} from {} to {}",
                current.zone.format_ms(recording.started_at_ms),
                recording.calling_number,
                recording.called_number
            );
            Some((recording.id.as_str().to_string(), label))
        }
    };
    let any_filter = !filters.query_string(&[]).is_empty();
    let page = RecordingsPage {
        zone: current.zone.name().to_string(),
        chrome: Chrome::new(current, "Recordings", Some(MenuItem::Recordings)),
        directions: lists.directions,
        users: lists.users,
        teams: lists.teams,
        companies: lists.companies,
        periods: lists.periods,
        tags: lists.tags,
        own_tags,
        show_company: global,
        can_download: actor.can(Role::DownloadRecordings),
        can_delete: actor.can(Role::DeleteRecordings),
        can_hold: actor.can(Role::LegalHold),
        can_select: [
            Role::DownloadRecordings,
            Role::LegalHold,
            Role::DeleteRecordings,
        ]
        .into_iter()
        .any(|role| actor.can(role)),
        hidden_filters: filters.hidden_fields(),
        hold_link: filters.query_string(&[("hold", "place")]),
        report_link: filters.query_string(&[]),
        release_link: filters.query_string(&[("hold", "release")]),
        bulk_max: state.config.records.bulk_download_max,
        bulk_problem: problem.message.clone(),
        selected_count: problem.selected.len(),
        selected: problem.selected,
        back_query,
        player: Player::for_list(actor.can(Role::DownloadRecordings)),
        deleted_days: state.config.records.deleted_days,
        next_link: page.next.map(|c| {
            format!(
                "/recordings{}",
                filters.query_string(&[("after", &c.encode())])
            )
        }),
        previous_link: page.previous.map(|c| {
            format!(
                "/recordings{}",
                filters.query_string(&[("before", &c.encode())])
            )
        }),
        filters,
        filter_errors,
        rows,
        delete_target,
        hold_target,
        any_filter,
    };
    // A page of 50 rows is about 50 KB: one allocation instead of growing
    // (and copying) the buffer from askama's estimate.
    let mut html = String::with_capacity(64 * 1024);
    page.render_into(&mut html)?;
    let status = if page.bulk_problem.is_some() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    Ok((status, Html(html)).into_response())
}
