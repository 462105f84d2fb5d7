//! A recording's notes: `GET` (scope notes:read) lists them with their
//! text, `POST` (notes:write) adds one at a moment of the call, written by
//! the token (`token:NAME`). Sealed, audited and kept like the page's.

use super::caller::ApiCaller;
use super::recordings::find;
use super::{ApiError, ErrorBody};
use crate::AppState;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use callrec_app::notes::{self, Note};
use callrec_domain::api_scope::ApiScope;
use callrec_domain::note::NoteText;
use callrec_domain::time::format_rfc3339_ms;
use callrec_domain::ValidationError;
use callrec_store::NoteAuthor;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A note at a moment of the call.
#[derive(Serialize, ToSchema)]
pub(crate) struct NoteItem {
    id: i64,
    /// Seconds into the call.
    at_seconds: i64,
    text: String,
    /// The user's username, or `token:NAME` for a note sent through the API.
    author: String,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    changed_at: Option<String>,
}

impl From<Note> for NoteItem {
    fn from(note: Note) -> NoteItem {
        NoteItem {
            id: note.id,
            at_seconds: note.at_ms / 1000,
            text: note.text,
            author: note.author,
            created_at: format_rfc3339_ms(note.created_at * 1000),
            changed_at: note.changed_at.map(|at| format_rfc3339_ms(at * 1000)),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct NoteList {
    items: Vec<NoteItem>,
}

/// A new note.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewNoteBody {
    /// Whole seconds into the call (beyond its end: its end).
    #[schema(value_type = i64, minimum = 0, maximum = 86400)]
    at_seconds: f64,
    /// 1 to 2,000 characters, not all blank; lines and tabs, no other
    /// control characters.
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = r"^[^\x00-\x08\x0B-\x1F\x7F-\x9F]*[^\s\x00-\x08\x0B-\x1F\x7F-\x9F][^\x00-\x08\x0B-\x1F\x7F-\x9F]*$"
    )]
    text: String,
}

/// The notes of a recording, in the order of the call.
#[utoipa::path(
    get,
    path = "/api/v1/recordings/{id}/notes",
    tag = "Notes",
    security(("token" = ["notes:read"])),
    params(("id" = String, Path, description = "The recording's id (32 hex digits)")),
    responses(
        (status = 200, description = "Its notes", body = NoteList),
        (status = 401, description = "Missing, unknown, revoked or expired token (unauthorized)", body = ErrorBody),
        (status = 404, description = "No such recording in the token's company, or the token lacks notes:read (not_found)", body = ErrorBody),
        (status = 429, description = "Over the token's rate limit (rate_limited)", body = ErrorBody,
            headers(("Retry-After" = i64, description = "Seconds to wait"))),
    )
)]
pub(crate) async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<NoteList>, ApiError> {
    let grant = caller
        .allow_read(
            &state,
            ApiScope::NotesRead,
            "GET /api/v1/recordings/{id}/notes",
        )
        .await?;
    let recording = find(&state, grant, &id).await?;
    let items = notes::notes_of(&state.store, &state.data_keys, &recording)
        .await
        .map_err(crate::error::AppError::from)?
        .into_iter()
        .map(NoteItem::from)
        .collect();
    Ok(Json(NoteList { items }))
}

/// Adds a note at a moment of the call; audited with the token's name.
#[utoipa::path(
    post,
    path = "/api/v1/recordings/{id}/notes",
    tag = "Notes",
    security(("token" = ["notes:write"])),
    params(("id" = String, Path, description = "The recording's id (32 hex digits)")),
    request_body = NewNoteBody,
    responses(
        (status = 201, description = "The note, added", body = NoteItem),
        (status = 400, description = "A body that is not the JSON described (invalid_body)", body = ErrorBody),
        (status = 401, description = "Missing, unknown, revoked or expired token (unauthorized)", body = ErrorBody),
        (status = 404, description = "No such recording in the token's company, or the token lacks notes:write (not_found)", body = ErrorBody),
        (status = 413, description = "A body over 64 kB (invalid_body)", body = ErrorBody),
        (status = 415, description = "Not sent as application/json (invalid_body)", body = ErrorBody),
        (status = 422, description = "An empty, too long or unprintable text or a moment out of range (invalid_note, with fields), or JSON of another shape (invalid_body)", body = ErrorBody),
        (status = 429, description = "Over the token's rate limit (rate_limited)", body = ErrorBody,
            headers(("Retry-After" = i64, description = "Seconds to wait"))),
    )
)]
pub(crate) async fn add(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    body: Result<Json<NewNoteBody>, JsonRejection>,
) -> Result<(StatusCode, Json<NoteItem>), ApiError> {
    let grant = caller.require(ApiScope::NotesWrite)?;
    let recording = find(&state, grant, &id).await?;
    let Json(body) = body.map_err(|rejection| {
        ApiError::new(rejection.status(), "invalid_body", rejection.body_text())
    })?;
    let mut errors = Vec::new();
    let text = NoteText::parse(&body.text)
        .map_err(|e| errors.push(ValidationError::new("text", e.message)));
    // JSON numbers: `42.0` is the integer 42, as JSON Schema says.
    let at_seconds = body.at_seconds;
    if !(at_seconds.fract() == 0.0 && (0.0..=86_400.0).contains(&at_seconds)) {
        errors.push(ValidationError::new(
            "at_seconds",
            "must be whole seconds, 0 to 86400, into the call",
        ));
    }
    let text = match text {
        Ok(text) if errors.is_empty() => text,
        _ => return Err(ApiError::invalid_note(errors)),
    };
    let audit = caller.audit();
    let author = NoteAuthor::Token(caller.token.name.clone());
    let id = notes::add_note(
        &state.store,
        &state.data_keys,
        &author,
        &recording,
        at_seconds as i64 * 1000,
        &text,
        &audit,
    )
    .await
    .map_err(crate::error::AppError::from)?;
    let added = notes::notes_of(&state.store, &state.data_keys, &recording)
        .await
        .map_err(crate::error::AppError::from)?
        .into_iter()
        .find(|note| note.id == id)
        .ok_or_else(ApiError::not_found)?;
    Ok((StatusCode::CREATED, Json(NoteItem::from(added))))
}
