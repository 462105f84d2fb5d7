//! Notes at a moment of a call (`recording_notes`, migration 0029): their
//! text arrives and leaves sealed (`callrec_app::notes` seals and opens
//! it); here they are rows found by recording, inside the company.

use crate::filter::Filter;
use crate::{Result, Store, Write};
use callrec_domain::recording::RecordingId;
use callrec_domain::{CompanyId, UserId};
use sqlx::any::AnyRow;
use sqlx::Row;

/// A note as stored: its text still sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredNote {
    pub id: i64,
    pub recording_id: String,
    /// The user who wrote it (none: a token, through the API).
    pub author_id: Option<UserId>,
    /// The author's username, or `token:NAME`.
    pub author: String,
    /// Where in the call, in milliseconds.
    pub at_ms: i64,
    pub key_id: u32,
    /// The sealed text, in hex.
    pub sealed: String,
    pub created_at: i64,
    pub changed_at: Option<i64>,
}

/// Who writes a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoteAuthor {
    User(UserId),
    /// An API token, by name.
    Token(String),
}

/// A new note, sealed already.
pub struct NewNote<'a> {
    pub recording: &'a RecordingId,
    pub company: CompanyId,
    pub author: &'a NoteAuthor,
    pub at_ms: i64,
    pub key_id: u32,
    pub sealed: &'a str,
}

const COLUMNS: &str = "n.id, n.recording_id, n.author_id, \
     coalesce(u.username, 'token:' || n.author_token) AS author, n.at_ms, \
     n.key_id, n.sealed, n.created_at, n.changed_at";

/// The notes table with their authors' names.
const NOTES: &str = "recording_notes n LEFT JOIN users u ON u.id = n.author_id";

fn note_from_row(row: &AnyRow) -> Result<StoredNote> {
    Ok(StoredNote {
        id: row.try_get("id")?,
        recording_id: row.try_get("recording_id")?,
        author_id: row.try_get::<Option<i64>, _>("author_id")?.map(UserId),
        author: row.try_get("author")?,
        at_ms: row.try_get("at_ms")?,
        key_id: u32::try_from(row.try_get::<i64, _>("key_id")?).unwrap_or(u32::MAX),
        sealed: row.try_get("sealed")?,
        created_at: row.try_get("created_at")?,
        changed_at: row.try_get("changed_at")?,
    })
}

impl Store {
    /// The notes `filter` selects, in the order of the call.
    async fn notes_where(&self, filter: Filter) -> Result<Vec<StoredNote>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM {NOTES}{} ORDER BY n.at_ms, n.id",
            filter.where_clause()
        );
        sqlx::query_with(&sql, filter.args())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(note_from_row)
            .collect()
    }

    /// A filter for the notes of a recording of `company`.
    fn of_recording(company: CompanyId, recording: &RecordingId) -> Filter {
        let mut filter = Filter::default();
        let (c, r) = (
            filter.bind(company.0),
            filter.bind(recording.as_str().to_string()),
        );
        filter.and(format!("n.company_id = {c} AND n.recording_id = {r}"));
        filter
    }

    /// The notes of a recording of `company`, in the order of the call.
    pub async fn notes_of(
        &self,
        company: CompanyId,
        recording: &RecordingId,
    ) -> Result<Vec<StoredNote>> {
        self.notes_where(Store::of_recording(company, recording))
            .await
    }

    /// One note of a recording of `company`.
    pub async fn note(
        &self,
        company: CompanyId,
        recording: &RecordingId,
        id: i64,
    ) -> Result<Option<StoredNote>> {
        let mut filter = Store::of_recording(company, recording);
        let p = filter.bind(id);
        filter.and(format!("n.id = {p}"));
        Ok(self.notes_where(filter).await?.pop())
    }

    /// The notes of `company` sealed with a key other than `key_id`, for a
    /// re-seal.
    pub async fn notes_sealed_before(
        &self,
        company: CompanyId,
        key_id: u32,
    ) -> Result<Vec<StoredNote>> {
        let mut filter = Filter::default();
        let (c, k) = (filter.bind(company.0), filter.bind(i64::from(key_id)));
        filter.and(format!("n.company_id = {c} AND n.key_id <> {k}"));
        self.notes_where(filter).await
    }
}

impl Write<'_> {
    /// Adds a note; its id.
    pub async fn add_note(&mut self, note: &NewNote<'_>) -> Result<i64> {
        let now = self.now;
        let row = sqlx::query(
            "INSERT INTO recording_notes (recording_id, company_id, author_id, author_token, at_ms, key_id, sealed, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(note.recording.as_str())
        .bind(note.company.0)
        .bind(match note.author {
            NoteAuthor::User(id) => Some(id.0),
            NoteAuthor::Token(_) => None,
        })
        .bind(match note.author {
            NoteAuthor::User(_) => None,
            NoteAuthor::Token(name) => Some(name.as_str()),
        })
        .bind(note.at_ms)
        .bind(i64::from(note.key_id))
        .bind(note.sealed)
        .bind(now)
        .fetch_one(self.conn())
        .await?;
        Ok(row.try_get("id")?)
    }

    /// Changes a note's text if `author` wrote it after `since`: one
    /// conditional write, so an edit racing the 24 hours cannot land late.
    pub async fn change_note(
        &mut self,
        id: i64,
        author: UserId,
        since: i64,
        key_id: u32,
        sealed: &str,
    ) -> Result<bool> {
        let now = self.now;
        let done = sqlx::query(
            "UPDATE recording_notes SET key_id = $1, sealed = $2, changed_at = $3 \
             WHERE id = $4 AND author_id = $5 AND created_at > $6",
        )
        .bind(i64::from(key_id))
        .bind(sealed)
        .bind(now)
        .bind(id)
        .bind(author.0)
        .bind(since)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Deletes a note if `author` wrote it after `since` (as above).
    pub async fn delete_note(&mut self, id: i64, author: UserId, since: i64) -> Result<bool> {
        let done = sqlx::query(
            "DELETE FROM recording_notes WHERE id = $1 AND author_id = $2 AND created_at > $3",
        )
        .bind(id)
        .bind(author.0)
        .bind(since)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// A note sealed again with another key (a data-key re-seal), only if
    /// it is still as it was read (`was`): an edit made meanwhile, already
    /// sealed with the new key, is never written over.
    pub async fn reseal_note(
        &mut self,
        was: &StoredNote,
        key_id: u32,
        sealed: &str,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE recording_notes SET key_id = $1, sealed = $2 \
             WHERE id = $3 AND key_id = $4 AND sealed = $5",
        )
        .bind(i64::from(key_id))
        .bind(sealed)
        .bind(was.id)
        .bind(i64::from(was.key_id))
        .bind(&was.sealed)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
