//! `GET /api/v1/recordings`, `/recordings/{id}` and `/recordings/{id}/audio`:
//! the Recordings page's search, details and player for a token, in its
//! company only, by the same store queries and the same audit.

use super::caller::ApiCaller;
use super::params::{self, Checked};
use super::{ApiError, ErrorBody};
use crate::recordings::audio::{range_header, serve_audio, Served};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use callrec_app::integrity::Integrity;
use callrec_app::transcription::index::{said_query, Searcher};
use callrec_domain::api_scope::{ApiScope, TokenGrant};
use callrec_domain::marks::{MarkKind, RecordingMark};
use callrec_domain::range::parse_range;
use callrec_domain::recording::RecordingId;
use callrec_domain::time::format_rfc3339_ms;
use callrec_domain::{TeamId, UserId};
use callrec_store::{Cursor, ListedRecording, PageFrom, Recording, RecordingQuery};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The Recordings page's filters, as query parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct RecordingFilters {
    /// Either party's number, as people type it (`07700 900123`,
    /// `+44 20 7946 0000`, `0044…`) or part of one: spaces, dashes, dots
    /// and brackets are ignored, and a whole national number is read in
    /// the company's country (Company settings → Country for phone numbers).
    #[param(pattern = r"^\+?[0-9][0-9 ().-]{0,30}$")]
    number: Option<String>,
    /// Digits that appear somewhere in the calling number.
    #[param(pattern = r"^[0-9]{1,32}$")]
    calling_number: Option<String>,
    /// Digits that appear somewhere in the called number.
    #[param(pattern = r"^[0-9]{1,32}$")]
    called_number: Option<String>,
    /// Calls that started at or after this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    start: Option<String>,
    /// Calls that started at or before this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    end: Option<String>,
    /// inbound, outbound or internal.
    #[param(inline)]
    direction: Option<params::DirectionParam>,
    /// A user's id (`GET /api/v1/users`).
    #[param(minimum = 1)]
    user: Option<i64>,
    /// A team's id (`GET /api/v1/teams`).
    #[param(minimum = 1)]
    team: Option<i64>,
    /// Only recordings on legal hold.
    held: Option<bool>,
    /// Words said in the call (its transcript; needs transcripts:read as
    /// well): recordings where every word was said, at most 8 words.
    /// Words are matched folded (case, accents) and stemmed, so `refund`
    /// finds `refunds` and `refunded`.
    #[param(
        max_length = 200,
        pattern = r"^[^\x00-\x1F\x7F]*[0-9A-Za-z\u00C0-\u024F][^\x00-\x1F\x7F]*$"
    )]
    said: Option<String>,
    /// Recordings a page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// The `next` of the previous page.
    // 18 digits always fit an i64; 19 may not (schemathesis, `--checks all`).
    #[param(pattern = r"^-?[0-9]{1,18}_[0-9a-f]{32}$")]
    cursor: Option<String>,
}

/// A user a record belongs to.
#[derive(Serialize, ToSchema)]
pub(crate) struct UserRef {
    id: i64,
    username: String,
}

/// A team a record belongs to.
#[derive(Serialize, ToSchema)]
pub(crate) struct TeamRef {
    id: i64,
    name: String,
}

fn user_ref(id: Option<UserId>, name: Option<&String>) -> Option<UserRef> {
    Some(UserRef {
        id: id?.0,
        username: name?.clone(),
    })
}

pub(crate) fn team_ref(id: Option<TeamId>, name: Option<&String>) -> Option<TeamRef> {
    Some(TeamRef {
        id: id?.0,
        name: name?.clone(),
    })
}

/// A recording as the search lists it.
#[derive(Serialize, ToSchema)]
pub(crate) struct RecordingItem {
    #[schema(pattern = "^[0-9a-f]{32}$")]
    id: String,
    /// When the call started (RFC 3339, UTC).
    #[schema(format = DateTime)]
    started_at: String,
    #[schema(inline)]
    direction: params::DirectionParam,
    calling_number: String,
    called_number: String,
    duration_ms: i64,
    user: Option<UserRef>,
    team: Option<TeamRef>,
    /// Under legal hold.
    on_hold: bool,
}

impl From<&ListedRecording> for RecordingItem {
    fn from(r: &ListedRecording) -> Self {
        RecordingItem {
            id: r.id.as_str().to_string(),
            started_at: format_rfc3339_ms(r.started_at_ms),
            direction: r.direction.into(),
            calling_number: r.calling_number.as_str().to_string(),
            called_number: r.called_number.as_str().to_string(),
            duration_ms: r.duration_ms,
            user: user_ref(r.user_id, r.username.as_ref()),
            team: team_ref(r.team_id, r.team_name.as_ref()),
            on_hold: r.held,
        }
    }
}

/// A page of recordings, newest first.
#[derive(Serialize, ToSchema)]
pub(crate) struct RecordingList {
    items: Vec<RecordingItem>,
    /// Pass as `cursor` for the next (older) page; null on the last.
    next: Option<String>,
}

/// Search recordings: the Recordings page's filters, newest first, by
/// keyset pages (follow `next`).
#[utoipa::path(
    get,
    path = "/api/v1/recordings",
    tag = "Recordings",
    security(("token" = ["recordings:read"])),
    params(RecordingFilters),
    responses(
        (status = 200, description = "A page of recordings", body = RecordingList),
        (status = 400, description = "A parameter that does not parse (invalid_parameters, with fields)", body = ErrorBody),
        (status = 401, description = "Missing, unknown, revoked or expired token (unauthorized)", body = ErrorBody),
        (status = 404, description = "The token lacks recordings:read (not_found)", body = ErrorBody),
        (status = 429, description = "Over the token's rate limit (rate_limited)", body = ErrorBody,
            headers(("Retry-After" = i64, description = "Seconds to wait"))),
    )
)]
pub(crate) async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
    query: Result<Query<RecordingFilters>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<RecordingList>, ApiError> {
    let grant = caller
        .allow_read(&state, ApiScope::RecordingsRead, "GET /api/v1/recordings")
        .await?;
    let Query(filters) = query.map_err(params::rejected)?;
    let mut check = Checked::default();
    let any_number = [
        &filters.number,
        &filters.calling_number,
        &filters.called_number,
    ]
    .iter()
    .any(|n| n.is_some());
    let country = if any_number {
        match state.store.company(grant.company).await? {
            Some(company) => company.country(state.config.default_country),
            None => state.config.default_country,
        }
    } else {
        state.config.default_country
    };
    let number = check.number("number", filters.number.as_deref(), country);
    let calling = check.digits("calling_number", filters.calling_number.as_deref());
    let called = check.digits("called_number", filters.called_number.as_deref());
    let calling = check.normalised("calling_number", calling, country);
    let called = check.normalised("called_number", called, country);
    let start_ms = check.time("start", filters.start.as_deref());
    let end_ms = check.time("end", filters.end.as_deref());
    let user = check.id("user", filters.user).map(UserId);
    let team = check.id("team", filters.team).map(TeamId);
    let limit = check.limit(filters.limit);
    let said = check.said("said", filters.said.as_deref());
    let from = match filters.cursor.as_deref() {
        None => PageFrom::Start,
        Some(text) => match Cursor::parse(text) {
            Some(cursor) => PageFrom::After(cursor),
            None => {
                check.fail("cursor", "must be the `next` of a previous page");
                PageFrom::Start
            }
        },
    };
    check.finish()?;
    let query = RecordingQuery {
        number,
        calling,
        called,
        start_ms,
        end_ms,
        direction: filters.direction.map(Into::into),
        user,
        team,
        held_only: filters.held == Some(true),
        from,
        ..RecordingQuery::first_page(grant.scope(), limit)
    };
    let query = match said {
        Some(text) => {
            // Whether words were said is the transcript's to tell.
            caller.require(ApiScope::TranscriptsRead)?;
            let searcher = Searcher {
                scope: grant.scope(),
                own_company: grant.company,
                chosen: None,
            };
            let said = match said_query(&state.store, &state.keyring, &searcher, text).await {
                Err(callrec_app::Error::Invalid(error)) => {
                    return Err(ApiError::bad_parameters(vec![error]))
                }
                other => other.map_err(crate::error::AppError::from)?,
            };
            RecordingQuery {
                // A text with no word to look for (all too long) finds nothing.
                said: if said.is_empty() {
                    vec![Vec::new()]
                } else {
                    said
                },
                ..query
            }
        }
        None => query,
    };
    let page = state.store.search_recordings(&query).await?;
    Ok(Json(RecordingList {
        items: page.items.iter().map(RecordingItem::from).collect(),
        next: page.next.map(|c| c.encode()),
    }))
}

/// A legal hold.
#[derive(Serialize, ToSchema)]
pub(crate) struct HoldInfo {
    #[schema(format = DateTime)]
    placed_at: String,
    /// Who placed it (a username).
    placed_by: String,
    reason: String,
}

/// A recording with everything its details page shows.
#[derive(Serialize, ToSchema)]
pub(crate) struct RecordingDetail {
    #[schema(pattern = "^[0-9a-f]{32}$")]
    id: String,
    #[schema(format = DateTime)]
    started_at: String,
    #[schema(inline)]
    direction: params::DirectionParam,
    calling_number: String,
    called_number: String,
    extension: Option<String>,
    duration_ms: i64,
    user: Option<UserRef>,
    team: Option<TeamRef>,
    /// wav, mp3 or ogg.
    format: String,
    size_bytes: i64,
    /// SHA-256 of the audio as received.
    #[schema(pattern = "^[0-9a-f]{64}$")]
    sha256: String,
    /// The phone system's own id of the call.
    external_id: Option<String>,
    hold: Option<HoldInfo>,
    /// What the phone system marked on a captured call's timeline:
    /// pauses, key presses (never the digits) and, for a call its node
    /// stopped during, where the recording ends (`incomplete`).
    marks: Vec<MarkInfo>,
    /// Where the audio is (needs recordings:download).
    audio_url: String,
}

/// A mark on the timeline, in milliseconds of the recording.
#[derive(Serialize, ToSchema)]
pub(crate) struct MarkInfo {
    #[schema(inline)]
    kind: MarkKindParam,
    #[schema(minimum = 0)]
    start_ms: i64,
    #[schema(minimum = 0)]
    end_ms: i64,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum MarkKindParam {
    Paused,
    KeyPress,
    Incomplete,
}

impl From<&RecordingMark> for MarkInfo {
    fn from(mark: &RecordingMark) -> MarkInfo {
        MarkInfo {
            kind: match mark.kind {
                MarkKind::Paused => MarkKindParam::Paused,
                MarkKind::KeyPress => MarkKindParam::KeyPress,
                MarkKind::Incomplete => MarkKindParam::Incomplete,
            },
            start_ms: mark.start_ms,
            end_ms: mark.end_ms,
        }
    }
}

impl RecordingDetail {
    fn of(r: &Recording, marks: &[RecordingMark]) -> Self {
        RecordingDetail {
            id: r.id.as_str().to_string(),
            started_at: format_rfc3339_ms(r.started_at_ms),
            direction: r.direction.into(),
            calling_number: r.calling_number.as_str().to_string(),
            called_number: r.called_number.as_str().to_string(),
            extension: r.extension.as_ref().map(|e| e.as_str().to_string()),
            duration_ms: r.duration_ms,
            user: user_ref(r.user_id, r.username.as_ref()),
            team: team_ref(r.team_id, r.team_name.as_ref()),
            format: r.format.code().to_string(),
            size_bytes: r.size_bytes,
            sha256: r.sha256.clone(),
            external_id: r.external_id.clone(),
            hold: r.hold.as_ref().map(|h| HoldInfo {
                placed_at: format_rfc3339_ms(h.at * 1000),
                placed_by: h.by.clone(),
                reason: h.reason.clone(),
            }),
            marks: marks.iter().map(MarkInfo::from).collect(),
            audio_url: format!("/api/v1/recordings/{}/audio", r.id),
        }
    }
}

/// A recording of the token's company by id, or 404.
pub(super) async fn find(
    state: &AppState,
    grant: TokenGrant,
    id: &str,
) -> Result<Recording, ApiError> {
    let id = RecordingId::parse(id).ok_or_else(ApiError::not_found)?;
    state
        .store
        .recording_in_scope(&id, grant.scope())
        .await?
        .ok_or_else(ApiError::not_found)
}

/// One recording's details.
#[utoipa::path(
    get,
    path = "/api/v1/recordings/{id}",
    tag = "Recordings",
    security(("token" = ["recordings:read"])),
    params(("id" = String, Path, description = "The recording's id (32 hex digits)")),
    responses(
        (status = 200, description = "The recording", body = RecordingDetail),
        (status = 401, description = "Missing, unknown, revoked or expired token (unauthorized)", body = ErrorBody),
        (status = 404, description = "No such recording in the token's company, or the token lacks recordings:read (not_found)", body = ErrorBody),
        (status = 429, description = "Over the token's rate limit (rate_limited)", body = ErrorBody,
            headers(("Retry-After" = i64, description = "Seconds to wait"))),
    )
)]
pub(crate) async fn one(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<RecordingDetail>, ApiError> {
    let grant = caller
        .allow_read(
            &state,
            ApiScope::RecordingsRead,
            "GET /api/v1/recordings/{id}",
        )
        .await?;
    let recording = find(&state, grant, &id).await?;
    let marks = state.store.recording_marks(&recording.id).await?;
    Ok(Json(RecordingDetail::of(&recording, &marks)))
}

/// A recording's audio, whole or by `Range` (as the page's player). Each
/// read is in the audit log with the token's name: a whole file as a
/// download, ranges as a play (once per token and recording in ten
/// minutes).
#[utoipa::path(
    get,
    path = "/api/v1/recordings/{id}/audio",
    tag = "Recordings",
    security(("token" = ["recordings:download"])),
    params(
        ("id" = String, Path, description = "The recording's id (32 hex digits)"),
        ("Range" = Option<String>, Header, description = "bytes=START-END, as for any HTTP file"),
    ),
    responses(
        (status = 200, description = "The whole audio, checked against its SHA-256 (Repr-Digest)",
            content(("audio/wav"), ("audio/mpeg"), ("audio/ogg"))),
        (status = 206, description = "The range asked for",
            content(("audio/wav"), ("audio/mpeg"), ("audio/ogg"))),
        (status = 401, description = "Missing, unknown, revoked or expired token (unauthorized)", body = ErrorBody),
        (status = 404, description = "No such recording in the token's company, or the token lacks recordings:download (not_found)", body = ErrorBody),
        (status = 409, description = "The stored audio is missing or altered (audio_unavailable); audited", body = ErrorBody),
        (status = 416, description = "A range outside the audio"),
        (status = 429, description = "Over the token's rate limit (rate_limited)", body = ErrorBody,
            headers(("Retry-After" = i64, description = "Seconds to wait"))),
    )
)]
pub(crate) async fn audio(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let grant = caller.require(ApiScope::RecordingsDownload)?;
    let recording = find(&state, grant, &id).await?;
    // The whole file, however asked for, is a download; a part a play
    // (`Reading`, the page's rule too).
    let size = u64::try_from(recording.size_bytes).unwrap_or(0);
    let range = parse_range(range_header(&headers), size);
    let reader = format!("token:{}", caller.token.id);
    let served = serve_audio(&state, &caller.audit(), &reader, &recording, range, false).await?;
    Ok(match served {
        Served::Audio(response) => response,
        Served::Unavailable(integrity) => ApiError::new(
            StatusCode::CONFLICT,
            "audio_unavailable",
            match integrity {
                Integrity::Missing => "The audio of this recording is missing from storage; the failure is in the audit log.",
                _ => "The stored audio is not the one recorded (its SHA-256 differs), so it is not served; the failure is in the audit log.",
            },
        )
        .into_response(),
    })
}
