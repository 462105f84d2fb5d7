//! Recordings: insert (idempotent by external id), find by scope, keyset
//! pages newest first, delete. The search is `search.rs`, the packed page
//! `page.rs`, the writes `writes.rs`; API tokens live in `tokens.rs`.

mod bin;
mod holds;
mod number_reads;
mod page;
mod report;
mod report_counts;
mod search;
mod selection;
mod writes;

pub use bin::{Binned, DeletedRecording, Restored};
pub use holds::{HoldChange, HOLD_BATCH};
pub use report::{CallTotals, Tally, QUARTER_HOUR_MS};
pub(crate) use search::matching;

pub(crate) use page::listed_from_packed;
pub use page::ListedRecording;

use crate::directory::FilterChoices;
use crate::filter::Filter;
use crate::{Result, Store, StoreError};
use callrec_domain::audio::AudioFormat;
use callrec_domain::permissions::DataScope;
use callrec_domain::recording::{Direction, RecordingId};
use callrec_domain::{CompanyId, PhoneNumber, TeamId, UserId};
use sqlx::any::AnyRow;
use sqlx::Row;
use std::collections::HashSet;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRecording {
    pub id: RecordingId,
    pub company_id: CompanyId,
    pub team_id: Option<TeamId>,
    pub user_id: Option<UserId>,
    pub extension: Option<PhoneNumber>,
    pub direction: Direction,
    pub calling_number: PhoneNumber,
    pub called_number: PhoneNumber,
    pub started_at_ms: i64,
    pub duration_ms: i64,
    pub format: AudioFormat,
    pub size_bytes: i64,
    pub sha256: String,
    pub storage_key: String,
    pub external_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recording {
    pub id: RecordingId,
    pub company_id: CompanyId,
    pub company_name: String,
    pub team_id: Option<TeamId>,
    pub team_name: Option<String>,
    pub user_id: Option<UserId>,
    pub username: Option<String>,
    pub extension: Option<PhoneNumber>,
    pub direction: Direction,
    pub calling_number: PhoneNumber,
    pub called_number: PhoneNumber,
    pub started_at_ms: i64,
    pub duration_ms: i64,
    pub format: AudioFormat,
    pub size_bytes: i64,
    pub sha256: String,
    pub storage_key: String,
    pub external_id: Option<String>,
    /// The legal hold on it, if any.
    pub hold: Option<Hold>,
}

/// A legal hold: when, by whom (username), and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    pub at: i64,
    pub by: String,
    pub reason: String,
}

/// A recording's audio as `callrec verify` checks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingAudio {
    pub id: String,
    pub storage_key: String,
    pub sha256: String,
}

/// Where a keyset page starts: a row's (start time, id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub started_at_ms: i64,
    pub id: String,
}

impl Cursor {
    pub fn encode(&self) -> String {
        format!("{}_{}", self.started_at_ms, self.id)
    }

    pub fn parse(text: &str) -> Option<Cursor> {
        let (time, id) = text.split_once('_')?;
        Some(Cursor {
            started_at_ms: time.parse().ok()?,
            id: RecordingId::parse(id)?.as_str().to_string(),
        })
    }

    fn of(recording: &ListedRecording) -> Cursor {
        Cursor {
            started_at_ms: recording.started_at_ms,
            id: recording.id.as_str().to_string(),
        }
    }
}

/// Which way from the cursor a page goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageFrom {
    /// The newest recordings.
    Start,
    /// Older than the cursor ("Next").
    After(Cursor),
    /// Newer than the cursor ("Previous").
    Before(Cursor),
}

#[derive(Debug, Clone)]
pub struct RecordingQuery {
    pub scope: DataScope,
    pub company: Option<CompanyId>,
    /// Digits that must appear somewhere in either number (the Phone
    /// number box).
    pub number: Option<String>,
    /// Digits that must appear somewhere in the number.
    pub calling: Option<String>,
    pub called: Option<String>,
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    pub direction: Option<Direction>,
    pub user: Option<UserId>,
    pub team: Option<TeamId>,
    /// Only recordings under legal hold (the On hold checkbox).
    pub held_only: bool,
    /// Only recordings carrying this tag (its id).
    pub tag: Option<i64>,
    /// Words said (the Words said box): for each term of the query, its
    /// keyed hashes under every word key in reach; a recording matches
    /// when it said every term.
    pub said: Vec<Vec<String>>,
    pub from: PageFrom,
    pub limit: u32,
}

impl RecordingQuery {
    /// The first page of `limit` recordings in `scope`, without filters.
    pub fn first_page(scope: DataScope, limit: u32) -> RecordingQuery {
        RecordingQuery {
            scope,
            company: None,
            number: None,
            calling: None,
            called: None,
            start_ms: None,
            end_ms: None,
            direction: None,
            user: None,
            team: None,
            held_only: false,
            tag: None,
            said: Vec::new(),
            from: PageFrom::Start,
            limit,
        }
    }
}

#[derive(Debug, Clone)]
pub struct RecordingPage {
    pub items: Vec<ListedRecording>,
    /// Cursor for the next (older) page, if there is one.
    pub next: Option<Cursor>,
    /// Cursor for the previous (newer) page, if there is one.
    pub previous: Option<Cursor>,
    /// What the User, Team and Company filters offer in the query's scope.
    pub filter_choices: FilterChoices,
}

/// What an insert did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inserted {
    Created(RecordingId),
    /// The same external id was ingested before: this is its recording.
    Existing(RecordingId),
}

/// The columns a recording is written with (and moved between
/// `recordings` and `deleted_recordings` with).
pub(super) const INSERT_COLUMNS: &str = "id, company_id, team_id, user_id, extension, direction, calling_number, \
     called_number, started_at, duration_ms, format, size_bytes, sha256, storage_key, external_id, created_at";

const COLUMNS: &str = "SELECT r.id, r.company_id, c.name AS company_name, r.team_id, t.name AS team_name, \
     r.user_id, u.username, r.extension, r.direction, r.calling_number, r.called_number, r.started_at, \
     r.duration_ms, r.format, r.size_bytes, r.sha256, r.storage_key, r.external_id, \
     r.held_at, r.held_by, r.hold_reason FROM";
const JOINS: &str = "recordings r JOIN companies c ON c.id = r.company_id \
     LEFT JOIN teams t ON t.id = r.team_id LEFT JOIN users u ON u.id = r.user_id";
/// A number read back: the schema's CHECK makes a bad one a corrupt row.
fn stored_number(text: &str) -> Result<PhoneNumber> {
    PhoneNumber::from_stored(text).ok_or_else(|| StoreError::Corrupt(text.to_string()))
}

fn recording_from_row(row: &AnyRow) -> Result<Recording> {
    let id: String = row.try_get("id")?;
    let direction: String = row.try_get("direction")?;
    let format: String = row.try_get("format")?;
    Ok(Recording {
        id: RecordingId::parse(&id).ok_or_else(|| StoreError::Corrupt(id.clone()))?,
        company_id: CompanyId(row.try_get("company_id")?),
        company_name: row.try_get("company_name")?,
        team_id: row.try_get::<Option<i64>, _>("team_id")?.map(TeamId),
        team_name: row.try_get("team_name")?,
        user_id: row.try_get::<Option<i64>, _>("user_id")?.map(UserId),
        username: row.try_get("username")?,
        extension: row
            .try_get::<Option<String>, _>("extension")?
            .map(|n| stored_number(&n))
            .transpose()?,
        direction: Direction::parse(&direction).ok_or(StoreError::Corrupt(direction))?,
        calling_number: stored_number(&row.try_get::<String, _>("calling_number")?)?,
        called_number: stored_number(&row.try_get::<String, _>("called_number")?)?,
        started_at_ms: row.try_get("started_at")?,
        duration_ms: row.try_get("duration_ms")?,
        format: AudioFormat::from_code(&format).ok_or(StoreError::Corrupt(format))?,
        size_bytes: row.try_get("size_bytes")?,
        sha256: row.try_get("sha256")?,
        storage_key: row.try_get("storage_key")?,
        external_id: row.try_get("external_id")?,
        hold: match row.try_get::<Option<i64>, _>("held_at")? {
            Some(at) => Some(Hold {
                at,
                by: row
                    .try_get::<Option<String>, _>("held_by")?
                    .unwrap_or_default(),
                reason: row
                    .try_get::<Option<String>, _>("hold_reason")?
                    .unwrap_or_default(),
            }),
            None => None,
        },
    })
}

impl Store {
    pub async fn recording_by_external_id(
        &self,
        company: CompanyId,
        external_id: &str,
    ) -> Result<Option<Recording>> {
        sqlx::query(&format!(
            "{COLUMNS} {JOINS} WHERE r.company_id = $1 AND r.external_id = $2"
        ))
        .bind(company.0)
        .bind(external_id)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(recording_from_row)
        .transpose()
    }

    /// A recording only if inside `scope`; outside it, it does not exist.
    pub async fn recording_in_scope(
        &self,
        id: &RecordingId,
        scope: DataScope,
    ) -> Result<Option<Recording>> {
        let mut filter = Filter::default();
        let p = filter.bind(id.as_str().to_string());
        filter.and(format!("r.id = {p}"));
        filter.scope(scope, "r.company_id", "r.team_id", "r.user_id");
        sqlx::query_with(
            &format!("{COLUMNS} {JOINS}{}", filter.where_clause()),
            filter.args(),
        )
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(recording_from_row)
        .transpose()
    }

    /// Every storage key that rows point at, deleted recordings' and
    /// originals kept for a hold (audio redaction) included.
    pub async fn storage_keys(&self) -> Result<HashSet<String>> {
        sqlx::query(
            "SELECT storage_key FROM recordings UNION SELECT storage_key FROM deleted_recordings \
             UNION SELECT storage_key FROM redacted_originals",
        )
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| Ok(row.try_get("storage_key")?))
        .collect()
    }

    /// Up to `limit` recordings (of `company`, or all) after the id
    /// `after`, by id: the audio to check, a batch at a time.
    pub async fn recording_audio_after(
        &self,
        company: Option<CompanyId>,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<RecordingAudio>> {
        sqlx::query(
            "SELECT id, storage_key, sha256 FROM recordings \
             WHERE ($1 IS NULL OR company_id = $1) AND ($2 IS NULL OR id > $2) \
             ORDER BY id LIMIT $3",
        )
        .bind(company.map(|c| c.0))
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            Ok(RecordingAudio {
                id: row.try_get("id")?,
                storage_key: row.try_get("storage_key")?,
                sha256: row.try_get("sha256")?,
            })
        })
        .collect()
    }

    pub async fn count_recordings(&self, company: Option<CompanyId>) -> Result<i64> {
        let row = match company {
            Some(c) => {
                sqlx::query("SELECT COUNT(*) AS n FROM recordings WHERE company_id = $1")
                    .bind(c.0)
                    .fetch_one(&self.pool)
                    .await?
            }
            None => {
                sqlx::query("SELECT COUNT(*) AS n FROM recordings")
                    .fetch_one(&self.pool)
                    .await?
            }
        };
        Ok(row.try_get("n")?)
    }
}
