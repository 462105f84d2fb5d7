//! Notes at a moment of a call: written on a recording's page (or through
//! the API), sealed with the company's data key like its audio, shown to
//! everyone who may see the recording, changed or deleted by their author
//! for 24 hours. Every change is audited, without the note's words.

use crate::audit::AuditContext;
use crate::sealing::DataKeys;
use crate::Error;
use callrec_domain::audit::AuditAction;
use callrec_domain::hex::{from_hex, hex};
use callrec_domain::note::{may_change, NoteText, CHANGE_SECONDS};
use callrec_domain::sealed::{open, seal, Header, Tampered};
use callrec_domain::time::clock_text;
use callrec_domain::{CompanyId, UserId};
use callrec_store::{NewNote, NoteAuthor, Recording, Store, StoredNote};

/// A note as people read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub id: i64,
    /// The user who wrote it (none: an API token).
    pub author_id: Option<UserId>,
    /// Their username, or `token:NAME`.
    pub author: String,
    pub at_ms: i64,
    pub text: String,
    pub created_at: i64,
    pub changed_at: Option<i64>,
}

impl Note {
    /// Whether `viewer` may change it at `now`: its author, within a day.
    pub fn may_change(&self, viewer: UserId, now: i64) -> bool {
        self.author_id == Some(viewer) && may_change(self.created_at, now)
    }
}

/// `text` sealed with the company's newest data key, in hex.
async fn sealed(
    store: &Store,
    keys: &DataKeys,
    recording: &Recording,
    text: &NoteText,
    now: i64,
) -> Result<(u32, String), Error> {
    let (key_id, key) = keys.current(store, recording.company_id, now).await?;
    let header = Header {
        key_id,
        prefix: rand::random(),
    };
    Ok((key_id, hex(&seal(&key, &header, text.as_str().as_bytes()))))
}

/// What a note that does not open says instead of its words.
pub const UNREADABLE: &str =
    "This note cannot be opened: its seal does not match (the failure is logged).";

async fn opened(
    store: &Store,
    keys: &DataKeys,
    recording: &Recording,
    note: StoredNote,
) -> Result<Note, Error> {
    let key = keys
        .get(store, recording.company_id, note.key_id)
        .await
        .ok();
    let text = key
        .and_then(|key| from_hex(&note.sealed).and_then(|bytes| open(&key, &bytes).ok()))
        .and_then(|plain| String::from_utf8(plain).ok())
        .unwrap_or_else(|| {
            // Said as such, so the rest of the recording's page still works.
            tracing::error!(note = note.id, recording = %recording.id, "a sealed note does not open");
            UNREADABLE.to_string()
        });
    Ok(Note {
        id: note.id,
        author_id: note.author_id,
        author: note.author,
        at_ms: note.at_ms,
        text,
        created_at: note.created_at,
        changed_at: note.changed_at,
    })
}

/// The company's notes sealed with a key other than `key_id`, sealed again
/// with it (a data-key rotation): (note as read, sealed text) to write.
pub(crate) async fn sealed_again(
    store: &Store,
    keys: &DataKeys,
    company: CompanyId,
    key_id: u32,
    now: i64,
) -> Result<Vec<(StoredNote, String)>, Error> {
    let (newest, key) = keys.current(store, company, now).await?;
    if newest != key_id {
        return Err(Error::Internal(
            "the data key changed during a re-seal".into(),
        ));
    }
    let mut again = Vec::new();
    for note in store.notes_sealed_before(company, key_id).await? {
        let id = note.id;
        let old = keys.get(store, company, note.key_id).await?;
        let plain = from_hex(&note.sealed)
            .and_then(|bytes| open(&old, &bytes).ok())
            .ok_or_else(|| tampered(id))?;
        let header = Header {
            key_id,
            prefix: rand::random(),
        };
        let sealed = hex(&seal(&key, &header, &plain));
        again.push((note, sealed));
    }
    Ok(again)
}

fn tampered(id: i64) -> Error {
    Error::Io {
        what: format!("note {id}"),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, Tampered),
    }
}

/// The notes of a recording the caller already may see, in call order.
pub async fn notes_of(
    store: &Store,
    keys: &DataKeys,
    recording: &Recording,
) -> Result<Vec<Note>, Error> {
    let mut notes = Vec::new();
    for note in store.notes_of(recording.company_id, &recording.id).await? {
        notes.push(opened(store, keys, recording, note).await?);
    }
    Ok(notes)
}

fn entry(
    audit: &AuditContext,
    action: AuditAction,
    recording: &Recording,
    at_ms: i64,
) -> callrec_store::NewAuditEntry {
    audit
        .entry(action)
        .company(recording.company_id)
        .target(recording.id.as_str())
        .details(format!("note at {}", clock_text(at_ms)))
}

/// Adds `author`'s note at `at_ms` (within the call) to a recording they
/// may see; its id.
pub async fn add_note(
    store: &Store,
    keys: &DataKeys,
    author: &NoteAuthor,
    recording: &Recording,
    at_ms: i64,
    text: &NoteText,
    audit: &AuditContext,
) -> Result<i64, Error> {
    let at_ms = at_ms.clamp(0, recording.duration_ms.max(0));
    let (key_id, sealed) = sealed(store, keys, recording, text, audit.now).await?;
    let mut write = store.write(audit.now).await?;
    let id = write
        .add_note(&NewNote {
            recording: &recording.id,
            company: recording.company_id,
            author,
            at_ms,
            key_id,
            sealed: &sealed,
        })
        .await?;
    write
        .commit_with(entry(audit, AuditAction::NoteAdded, recording, at_ms))
        .await?;
    Ok(id)
}

/// What became of a change to a note.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteChange {
    Done,
    /// Not there, not theirs, or written more than a day ago.
    Refused,
}

/// The author's new text for their note, within a day of writing it.
pub async fn change_note(
    store: &Store,
    keys: &DataKeys,
    author: UserId,
    recording: &Recording,
    id: i64,
    text: &NoteText,
    audit: &AuditContext,
) -> Result<NoteChange, Error> {
    let Some(note) = store.note(recording.company_id, &recording.id, id).await? else {
        return Ok(NoteChange::Refused);
    };
    let (key_id, sealed) = sealed(store, keys, recording, text, audit.now).await?;
    let mut write = store.write(audit.now).await?;
    // The author and the day are checked by the write itself.
    if !write
        .change_note(id, author, audit.now - CHANGE_SECONDS, key_id, &sealed)
        .await?
    {
        return Ok(NoteChange::Refused);
    }
    write
        .commit_with(entry(
            audit,
            AuditAction::NoteChanged,
            recording,
            note.at_ms,
        ))
        .await?;
    Ok(NoteChange::Done)
}

/// Deletes the author's note, within a day of writing it.
pub async fn delete_note(
    store: &Store,
    author: UserId,
    recording: &Recording,
    id: i64,
    audit: &AuditContext,
) -> Result<NoteChange, Error> {
    let Some(note) = store.note(recording.company_id, &recording.id, id).await? else {
        return Ok(NoteChange::Refused);
    };
    let mut write = store.write(audit.now).await?;
    if !write
        .delete_note(id, author, audit.now - CHANGE_SECONDS)
        .await?
    {
        return Ok(NoteChange::Refused);
    }
    write
        .commit_with(entry(
            audit,
            AuditAction::NoteDeleted,
            recording,
            note.at_ms,
        ))
        .await?;
    Ok(NoteChange::Done)
}
