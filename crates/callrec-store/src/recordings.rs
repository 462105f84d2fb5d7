//! Recordings: insert (idempotent by external id), find by scope, keyset
//! pages newest first, delete; and the API tokens that ingest them.

use crate::directory::{Directory, FilterChoices};
use crate::filter::Filter;
use crate::{packed, Backend, BlobStore, Result, Store, StoreError, SQLITE_CACHE_SIZE};
use callrec_domain::permissions::DataScope;
use callrec_domain::recording::{
    cheapest_lookup, AudioFormat, Direction, NumberColumn, RecordingId,
};
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
    /// Digits that must appear somewhere in the number.
    pub calling: Option<String>,
    pub called: Option<String>,
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    pub direction: Option<Direction>,
    pub user: Option<UserId>,
    pub team: Option<TeamId>,
    pub from: PageFrom,
    pub limit: u32,
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

const COLUMNS: &str = "SELECT r.id, r.company_id, c.name AS company_name, r.team_id, t.name AS team_name, \
     r.user_id, u.username, r.extension, r.direction, r.calling_number, r.called_number, r.started_at, \
     r.duration_ms, r.format, r.size_bytes, r.sha256, r.storage_key, r.external_id FROM";
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
    })
}

/// A recording as the Recordings list shows it: the list is the hot path,
/// so it reads only what a row of the page needs (half the columns, and not
/// the long hash and storage key; see docs/BENCHMARKS.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedRecording {
    pub id: RecordingId,
    pub started_at_ms: i64,
    pub direction: Direction,
    pub calling_number: PhoneNumber,
    pub called_number: PhoneNumber,
    pub username: Option<String>,
    pub team_name: Option<String>,
    pub company_name: String,
    pub duration_ms: i64,
}

/// What the list reads of a recording: ids where it shows names, which
/// come from the directory (see `directory`).
const LIST_COLUMNS: &str = "SELECT r.id, r.started_at, r.direction, r.calling_number, \
     r.called_number, r.user_id, r.team_id, r.company_id, r.duration_ms FROM";

/// The names of `LIST_COLUMNS`, in order, for the packed form of a page.
/// None holds free text, so the page can be packed (`Backend::packed_rows`).
const LIST_FIELDS: &[&str] = &[
    "id",
    "started_at",
    "direction",
    "calling_number",
    "called_number",
    "user_id",
    "team_id",
    "company_id",
    "duration_ms",
];

/// A row of a page before its names are looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ListedIds {
    id: RecordingId,
    started_at_ms: i64,
    direction: Direction,
    calling_number: PhoneNumber,
    called_number: PhoneNumber,
    user: Option<UserId>,
    team: Option<TeamId>,
    company: CompanyId,
    duration_ms: i64,
}

/// The rows of a page packed with `LIST_FIELDS`.
pub(crate) fn listed_from_packed(text: &str) -> Result<Vec<ListedIds>> {
    const WHAT: &str = "recording page";
    packed::rows::<9>(text, WHAT)?
        .into_iter()
        .map(
            |[id, started, direction, calling, called, user, team, company, ms]| {
                Ok(ListedIds {
                    id: RecordingId::parse(id)
                        .ok_or_else(|| StoreError::Corrupt(id.to_string()))?,
                    started_at_ms: packed::int(started, WHAT)?,
                    direction: Direction::parse(direction)
                        .ok_or_else(|| StoreError::Corrupt(direction.to_string()))?,
                    calling_number: stored_number(calling)?,
                    called_number: stored_number(called)?,
                    user: packed::opt_int(user, WHAT)?.map(UserId),
                    team: packed::opt_int(team, WHAT)?.map(TeamId),
                    company: CompanyId(packed::int(company, WHAT)?),
                    duration_ms: packed::int(ms, WHAT)?,
                })
            },
        )
        .collect()
}

impl ListedIds {
    /// The row with its names, or None when the directory lacks one.
    fn named(&self, directory: &Directory) -> Option<ListedRecording> {
        let name = |found: Option<&str>| found.map(str::to_string);
        Some(ListedRecording {
            id: self.id.clone(),
            started_at_ms: self.started_at_ms,
            direction: self.direction,
            calling_number: self.calling_number.clone(),
            called_number: self.called_number.clone(),
            username: match self.user {
                Some(user) => Some(name(directory.username(user))?),
                None => None,
            },
            team_name: match self.team {
                Some(team) => Some(name(directory.team_name(team))?),
                None => None,
            },
            company_name: name(directory.company_name(self.company))?,
            duration_ms: self.duration_ms,
        })
    }
}

const INSERT_COLUMNS: &str = "id, company_id, team_id, user_id, extension, direction, calling_number, \
     called_number, started_at, duration_ms, format, size_bytes, sha256, storage_key, external_id, created_at";

fn bind_new<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    new: &NewRecording,
    now: i64,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    query
        .bind(new.id.as_str().to_string())
        .bind(new.company_id.0)
        .bind(new.team_id.map(|t| t.0))
        .bind(new.user_id.map(|u| u.0))
        .bind(new.extension.as_ref().map(|n| n.as_str().to_string()))
        .bind(new.direction.code())
        .bind(new.calling_number.as_str().to_string())
        .bind(new.called_number.as_str().to_string())
        .bind(new.started_at_ms)
        .bind(new.duration_ms)
        .bind(new.format.code())
        .bind(new.size_bytes)
        .bind(new.sha256.clone())
        .bind(new.storage_key.clone())
        .bind(new.external_id.clone())
        .bind(now)
}

fn placeholders(row: usize, columns: usize) -> String {
    let list: Vec<String> = (1..=columns)
        .map(|c| format!("${}", row * columns + c))
        .collect();
    format!("({})", list.join(", "))
}

/// The digits of a number column (`+ * #` removed), as the index holds them.
fn digits_of(column: &NumberColumn) -> String {
    let name = match column {
        NumberColumn::Calling => "calling_number",
        NumberColumn::Called => "called_number",
    };
    format!("replace(replace(replace(r.{name}, '+', ''), '*', ''), '#', '')")
}

/// Which companies' index entries a query reads: `= $n` or `IN (…)`. The
/// index starts with the company, so a single company keeps it in order.
fn gram_company(query: &RecordingQuery, filter: &mut Filter) -> String {
    let company = match query.scope {
        DataScope::Company(company) | DataScope::Team(company, _) => Some(company),
        DataScope::Everything => query.company,
        DataScope::OwnOnly(user) => {
            let p = filter.bind(user.0);
            return format!("= (SELECT company_id FROM users WHERE id = {p})");
        }
    };
    match company {
        Some(company) => format!("= {}", filter.bind(company.0)),
        None => "IN (SELECT id FROM companies)".to_string(),
    }
}

impl Store {
    /// Inserts a recording; with an external id already used by the company,
    /// inserts nothing and names the existing recording.
    pub async fn insert_recording(&self, new: &NewRecording, now: i64) -> Result<Inserted> {
        let mut tx = self.begin_write().await?;
        let inserted = self.insert_recording_in(&mut tx, new, now).await?;
        tx.commit().await?;
        Ok(inserted)
    }

    pub(crate) async fn insert_recording_in(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        new: &NewRecording,
        now: i64,
    ) -> Result<Inserted> {
        let sql = format!(
            "INSERT INTO recordings ({INSERT_COLUMNS}) VALUES {} ON CONFLICT (company_id, external_id) DO NOTHING",
            placeholders(0, 16)
        );
        let done = bind_new(sqlx::query(&sql), new, now)
            .execute(&mut **tx)
            .await?;
        if done.rows_affected() == 1 {
            return Ok(Inserted::Created(new.id.clone()));
        }
        let existing: String =
            sqlx::query("SELECT id FROM recordings WHERE company_id = $1 AND external_id = $2")
                .bind(new.company_id.0)
                .bind(new.external_id.clone())
                .fetch_one(&mut **tx)
                .await?
                .try_get("id")?;
        Ok(Inserted::Existing(
            RecordingId::parse(&existing).ok_or(StoreError::Corrupt(existing))?,
        ))
    }

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

    /// Many recordings in one transaction (demo data). On SQLite 50 rows a
    /// statement: it looks each parameter name up with a linear scan, so
    /// statements with thousands of parameters bind in quadratic time. On
    /// PostgreSQL 1,000 (16,000 parameters; the limit is 65,535), so the
    /// number index's statement trigger runs once per 1,000 rows.
    pub async fn insert_recordings_bulk(&self, rows: &[NewRecording], now: i64) -> Result<()> {
        let rows_per_statement = match self.backend {
            Backend::Sqlite => 50,
            Backend::Postgres => 1000,
        };
        let mut tx = self.begin_write().await?;
        // Each batch touches the newest end of every number-index key, more
        // pages than the usual cache holds: a larger one for this
        // transaction saves re-reading them for every row.
        if self.backend == Backend::Sqlite {
            sqlx::query("PRAGMA cache_size = -524288")
                .execute(&mut *tx)
                .await?;
        }
        for chunk in rows.chunks(rows_per_statement) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| match self.backend {
                    // Anonymous parameters: sqlx asks SQLite for each
                    // parameter's name, which costs a scan per `$n`.
                    Backend::Sqlite => format!("({})", ["?"; 16].join(", ")),
                    Backend::Postgres => placeholders(i, 16),
                })
                .collect();
            let sql = format!(
                "INSERT INTO recordings ({INSERT_COLUMNS}) VALUES {}",
                values.join(", ")
            );
            let mut query = sqlx::query(&sql);
            for new in chunk {
                query = bind_new(query, new, now);
            }
            query.execute(&mut *tx).await?;
        }
        if self.backend == Backend::Sqlite {
            sqlx::query(&format!("PRAGMA cache_size = {SQLITE_CACHE_SIZE}"))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
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

    pub async fn search_recordings(&self, query: &RecordingQuery) -> Result<RecordingPage> {
        let mut filter = Filter::default();
        filter.scope(query.scope, "r.company_id", "r.team_id", "r.user_id");
        if let Some(company) = query.company {
            let p = filter.bind(company.0);
            filter.and(format!("r.company_id = {p}"));
        }
        // Every number filter is checked on the row; the cheapest one with
        // three digits or more also picks the index keys that drive the
        // query (see `number_lookup`).
        let numbers: Vec<(NumberColumn, &str)> = [
            (NumberColumn::Calling, &query.calling),
            (NumberColumn::Called, &query.called),
        ]
        .into_iter()
        .filter_map(|(column, digits)| digits.as_deref().map(|d| (column, d)))
        .collect();
        let driving = cheapest_lookup(&numbers);
        for (column, digits) in &numbers {
            let answered_by_index = driving
                .as_ref()
                .is_some_and(|lookup| lookup.exact && lookup.column == *column);
            if !answered_by_index {
                let p = filter.bind(format!("%{digits}%"));
                filter.and(format!("{} LIKE {p}", digits_of(column)));
            }
        }
        // The gram index is read in time order, so time limits also go on
        // its own column (`g_time` collects them).
        let mut g_time = Vec::new();
        if let Some(start) = query.start_ms {
            let p = filter.bind(start);
            filter.and(format!("r.started_at >= {p}"));
            g_time.push(format!("g.started_at >= {p}"));
        }
        if let Some(end) = query.end_ms {
            let p = filter.bind(end);
            filter.and(format!("r.started_at <= {p}"));
            g_time.push(format!("g.started_at <= {p}"));
        }
        if let Some(direction) = query.direction {
            let p = filter.bind(direction.code().to_string());
            filter.and(format!("r.direction = {p}"));
        }
        if let Some(user) = query.user {
            let p = filter.bind(user.0);
            filter.and(format!("r.user_id = {p}"));
        }
        if let Some(team) = query.team {
            let p = filter.bind(team.0);
            filter.and(format!("r.team_id = {p}"));
        }
        let (order, backwards) = match &query.from {
            PageFrom::Start => ("DESC", false),
            PageFrom::After(cursor) => {
                let (t, i) = (
                    filter.bind(cursor.started_at_ms),
                    filter.bind(cursor.id.clone()),
                );
                filter.and(format!(
                    "(r.started_at < {t} OR (r.started_at = {t} AND r.id < {i}))"
                ));
                g_time.push(format!("g.started_at <= {t}"));
                ("DESC", false)
            }
            PageFrom::Before(cursor) => {
                let (t, i) = (
                    filter.bind(cursor.started_at_ms),
                    filter.bind(cursor.id.clone()),
                );
                filter.and(format!(
                    "(r.started_at > {t} OR (r.started_at = {t} AND r.id > {i}))"
                ));
                g_time.push(format!("g.started_at >= {t}"));
                ("ASC", true)
            }
        };
        let limit = query.limit.clamp(1, 500) as usize;
        let p = filter.bind(limit as i64 + 1);
        let order_by = format!("ORDER BY r.started_at {order}, r.id {order} LIMIT {p}");
        let sql = match driving {
            None => format!(
                "{LIST_COLUMNS} recordings r{} {order_by}",
                filter.where_clause()
            ),
            Some(lookup) => {
                // A newest-first read of the index per key, stopping at a
                // page of rows that pass every filter. One key is the page;
                // several are a union whose newest rows are the page.
                let company = gram_company(query, &mut filter);
                let mut index_reads: Vec<String> = lookup
                    .keys
                    .into_iter()
                    .map(|key| {
                        let k = filter.bind(key);
                        let mut index_read = vec![
                            format!("g.company_id {company}"),
                            format!("g.gram = {k}"),
                            "r.seq = g.recording".to_string(),
                        ];
                        index_read.extend(g_time.iter().cloned());
                        filter.where_clause_with(&index_read)
                    })
                    .collect();
                let index_order = format!("ORDER BY g.started_at {order}, r.id {order} LIMIT {p}");
                if index_reads.len() == 1 {
                    let conditions = index_reads.remove(0);
                    format!("{LIST_COLUMNS} recording_number_grams g CROSS JOIN recordings r{conditions} {index_order}")
                } else {
                    // Each key's newest 51 carry their sort key, so the
                    // union's own newest 51 are the page: only those are
                    // joined again for their columns (not up to 51 a key).
                    let hits: Vec<String> = index_reads
                        .iter()
                        .map(|conditions| {
                            format!(
                                "SELECT hit, t, i FROM (SELECT g.recording AS hit, \
                                 r.started_at AS t, r.id AS i \
                                 FROM recording_number_grams g CROSS JOIN recordings r{conditions} \
                                 {index_order}) k"
                            )
                        })
                        .collect();
                    format!(
                        "{LIST_COLUMNS} recordings r WHERE r.seq IN (SELECT u.hit FROM ({}) u \
                         ORDER BY u.t {order}, u.i {order} LIMIT {p}) {order_by}",
                        hits.join(" UNION ")
                    )
                }
            }
        };
        // The page as one packed value, with the directory's version beside
        // it: one statement and one row per page. A row costs sqlx a hand-off
        // from SQLite's worker thread and a conversion of every value, and
        // every statement a round trip (see docs/BENCHMARKS.md). It runs on
        // the read connections (`reads`), like the session before it.
        let statement = format!(
            "SELECT (SELECT {} FROM ({sql}) x) AS page, \
             (SELECT version FROM directory_version) AS directory_version",
            self.backend.packed_rows(LIST_FIELDS)
        );
        let row = self
            .reads
            .fetch_optional(&statement, &filter)
            .await?
            .ok_or_else(|| StoreError::Corrupt("a page statement without its row".into()))?;
        let listed = listed_from_packed(&row.try_get::<String, _>("page")?)?;
        let version: i64 = row.try_get("directory_version")?;
        let named = |directory: &Directory| -> Option<Vec<ListedRecording>> {
            listed.iter().map(|r| r.named(directory)).collect()
        };
        let mut directory = self.directory_at(version, false).await?;
        let mut items = match named(&directory) {
            Some(items) => items,
            None => {
                // Only a copy older than the page lacks a name: read it again.
                directory = self.directory_at(version, true).await?;
                named(&directory).ok_or_else(|| {
                    StoreError::Corrupt(
                        "a recording names a company, team or user that is not there".into(),
                    )
                })?
            }
        };
        let filter_choices = directory.choices(query.scope);
        let more = items.len() > limit;
        items.truncate(limit);
        if backwards {
            items.reverse();
        }
        let (first, last) = (items.first().map(Cursor::of), items.last().map(Cursor::of));
        let (next, previous) = match (&query.from, backwards) {
            (PageFrom::Start, _) => (last.filter(|_| more), None),
            (_, false) => (last.filter(|_| more), first),
            (_, true) => (last, first.filter(|_| more)),
        };
        Ok(RecordingPage {
            items,
            next,
            previous,
            filter_choices,
        })
    }

    /// Deletes a recording inside `scope`, and its audio file when no other
    /// recording uses it (checked under the key's lock). `None` when there
    /// is no such recording in scope; else whether the file went too.
    pub async fn delete_recording(
        &self,
        id: &RecordingId,
        scope: DataScope,
        blobs: &BlobStore,
    ) -> Result<Option<bool>> {
        let Some(recording) = self.recording_in_scope(id, scope).await? else {
            return Ok(None);
        };
        let done = sqlx::query("DELETE FROM recordings WHERE id = $1")
            .bind(recording.id.as_str().to_string())
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            // Deleted meanwhile by another request.
            return Ok(None);
        }
        Ok(Some(
            self.remove_audio_if_unused(&recording.storage_key, blobs)
                .await?,
        ))
    }

    /// Every storage key that rows point at.
    pub async fn storage_keys(&self) -> Result<HashSet<String>> {
        sqlx::query("SELECT DISTINCT storage_key FROM recordings")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| Ok(row.try_get("storage_key")?))
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

/// An API token's owner, found by the token's hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: i64,
    pub company_id: CompanyId,
    pub company_name: String,
    pub name: String,
    pub created_at: i64,
    pub revoked: bool,
}

fn token_from_row(row: &AnyRow) -> Result<ApiToken> {
    Ok(ApiToken {
        id: row.try_get("id")?,
        company_id: CompanyId(row.try_get("company_id")?),
        company_name: row.try_get("company_name")?,
        name: row.try_get("name")?,
        created_at: row.try_get("created_at")?,
        revoked: row.try_get::<Option<i64>, _>("revoked_at")?.is_some(),
    })
}

const TOKEN_SELECT: &str =
    "SELECT k.id, k.company_id, c.name AS company_name, k.name, k.created_at, k.revoked_at \
     FROM api_tokens k JOIN companies c ON c.id = k.company_id";

impl Store {
    pub async fn create_api_token(
        &self,
        company: CompanyId,
        name: &str,
        token_hash: &str,
        now: i64,
    ) -> Result<()> {
        sqlx::query("INSERT INTO api_tokens (company_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4)")
            .bind(company.0)
            .bind(name)
            .bind(token_hash)
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(StoreError::conflict_as("a token with that name for this company"))?;
        Ok(())
    }

    /// A live (not revoked) token by its hash.
    pub async fn api_token(&self, token_hash: &str) -> Result<Option<ApiToken>> {
        sqlx::query(&format!(
            "{TOKEN_SELECT} WHERE k.token_hash = $1 AND k.revoked_at IS NULL"
        ))
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(token_from_row)
        .transpose()
    }

    pub async fn list_api_tokens(&self, company: Option<CompanyId>) -> Result<Vec<ApiToken>> {
        let rows = match company {
            Some(c) => {
                sqlx::query(&format!(
                    "{TOKEN_SELECT} WHERE k.company_id = $1 ORDER BY c.name_key, k.name"
                ))
                .bind(c.0)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(&format!("{TOKEN_SELECT} ORDER BY c.name_key, k.name"))
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter().map(token_from_row).collect()
    }

    /// Revokes a company's token by name; false if there was no live one.
    pub async fn revoke_api_token(&self, company: CompanyId, name: &str, now: i64) -> Result<bool> {
        let done = sqlx::query("UPDATE api_tokens SET revoked_at = $3 WHERE company_id = $1 AND name = $2 AND revoked_at IS NULL")
            .bind(company.0)
            .bind(name)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_pages_decode_or_fail_clearly() {
        let id = "ab".repeat(16);
        let row = format!(
            "{id}\u{1f}1000\u{1f}inbound\u{1f}+4420\u{1f}2001\u{1f}5\u{1f}\u{1f}1\u{1f}2000"
        );
        let page = listed_from_packed(&row).unwrap();
        assert_eq!(page.len(), 1);
        assert_eq!(
            (
                page[0].user,
                page[0].team,
                page[0].company,
                page[0].direction,
                page[0].duration_ms
            ),
            (
                Some(UserId(5)),
                None,
                CompanyId(1),
                Direction::Inbound,
                2000
            )
        );
        assert_eq!(page[0].calling_number.as_str(), "+4420");
        assert_eq!(listed_from_packed("").unwrap(), Vec::new());
        for bad in [
            "x".to_string(),
            row.replace("inbound", "sideways"),
            row.replace("\u{1f}1\u{1f}", "\u{1f}\u{1f}"),
            row.replace("1000", "soon"),
            row.replace(&id, "not-an-id"),
            format!("{row}\u{1f}extra"),
        ] {
            assert!(
                matches!(listed_from_packed(&bad), Err(StoreError::Corrupt(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn rows_are_named_from_the_directory() {
        let directory = Directory::from_lists(
            3,
            r#"[[1, "Acme"]]"#,
            r#"[[10, 1, "Sales"]]"#,
            r#"[[5, 1, 10, "bob"]]"#,
        )
        .unwrap();
        let id = "cd".repeat(16);
        let listed = |user: &str, team: &str, company: &str| {
            listed_from_packed(&format!(
                "{id}\u{1f}1\u{1f}outbound\u{1f}1\u{1f}2\u{1f}{user}\u{1f}{team}\u{1f}{company}\u{1f}3"
            ))
            .unwrap()
            .remove(0)
        };
        let named = listed("5", "10", "1").named(&directory).unwrap();
        assert_eq!(
            (
                named.username.as_deref(),
                named.team_name.as_deref(),
                named.company_name.as_str()
            ),
            (Some("bob"), Some("Sales"), "Acme")
        );
        let unnamed = listed("", "", "1").named(&directory).unwrap();
        assert_eq!((unnamed.username, unnamed.team_name), (None, None));
        for (user, team, company) in [("6", "10", "1"), ("5", "11", "1"), ("5", "10", "2")] {
            assert_eq!(listed(user, team, company).named(&directory), None);
        }
    }
}
