//! `POST /recordings/{id}/notes`: Add note (text and a moment of the call),
//! or `change=edit` / `change=delete` of the viewer's own note within a
//! day. Anyone who may see the recording may add one.

use super::audio::find;
use crate::error::AppError;
use crate::form::FormData;
use crate::security::ClientAddr;
use crate::session::{require, CurrentUser};
use crate::AppState;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use callrec_app::notes::{self, NoteChange};
use callrec_domain::note::{parse_moment, NoteText};
use callrec_domain::{Role, ValidationError};
use callrec_store::NoteAuthor;

pub(super) async fn change(
    State(state): State<AppState>,
    current: CurrentUser,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    require(&current, Role::Recordings)?;
    let recording = find(&state, &current, &id).await?;
    let audit = current.audit_context(&client);
    let author = current.user.id;
    let note_id = || form.optional_id("note_id")?.ok_or(AppError::NotFound);
    let (done, at) = match form.get("change") {
        "delete" => {
            let changed =
                notes::delete_note(&state.store, author, &recording, note_id()?, &audit).await?;
            (changed, None)
        }
        "edit" => {
            let text = NoteText::parse(form.get("note"))?;
            let changed = notes::change_note(
                &state.store,
                &state.data_keys,
                author,
                &recording,
                note_id()?,
                &text,
                &audit,
            )
            .await?;
            (changed, None)
        }
        _ => {
            let text = NoteText::parse(form.get("note"))?;
            let at_ms = parse_moment(form.get("at")).ok_or_else(|| {
                ValidationError::new("at", "At must be a time in the call such as 1:23.")
            })?;
            notes::add_note(
                &state.store,
                &state.data_keys,
                &NoteAuthor::User(author),
                &recording,
                at_ms,
                &text,
                &audit,
            )
            .await?;
            (NoteChange::Done, Some(at_ms / 1000))
        }
    };
    let code = match (done, form.get("change")) {
        (NoteChange::Refused, _) => "note-locked",
        (NoteChange::Done, "delete") => "note-deleted",
        (NoteChange::Done, "edit") => "note-changed",
        (NoteChange::Done, _) => "note-added",
    };
    let query = crate::form::query_string([
        ("done", code),
        ("t", &at.map(|t| t.to_string()).unwrap_or_default()),
        ("back", form.get("back")),
    ]);
    Ok(Redirect::to(&format!("/recordings/{}{query}#notes-title", recording.id)).into_response())
}
