//! Deleted recordings: Delete moves a recording's row to
//! `deleted_recordings` (its audio stays), Restore moves it back, and the
//! purge job (`purge.rs`) removes it for good once its time is up. Moving
//! the row out keeps every search and the number index unaware of it.

use super::{stored_number, INSERT_COLUMNS};
use crate::filter::Filter;
use crate::{NewAuditEntry, Result, Store, StoreError};
use callrec_domain::permissions::DataScope;
use callrec_domain::recording::{Direction, RecordingId};
use callrec_domain::{CompanyId, PhoneNumber};
use sqlx::Row;

/// A recording's legal hold, kept when it is restored.
const HOLD: &str = "held_at, held_by, hold_reason";

/// What Delete did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Binned {
    Moved,
    /// Under legal hold: nothing changed.
    Held,
    /// Not in scope (or deleted meanwhile).
    NotFound,
}

/// What Restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Restored {
    Restored,
    NotFound,
    /// The same external id was ingested again after the delete (or the
    /// id is in Recordings already): the recording stays deleted.
    ExternalIdTaken,
}

/// A row of Deleted recordings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletedRecording {
    pub id: RecordingId,
    pub company_id: CompanyId,
    pub company_name: String,
    pub started_at_ms: i64,
    pub direction: Direction,
    pub calling_number: PhoneNumber,
    pub called_number: PhoneNumber,
    pub username: Option<String>,
    pub duration_ms: i64,
    pub deleted_at: i64,
    pub deleted_by: String,
    /// Held by a hold placed on a search: not purged while held.
    pub held: bool,
}

/// Deleted recordings a page shows.
pub const DELETED_PAGE: i64 = 50;

impl Store {
    /// Moves a recording in `scope` to Deleted recordings with `audit` in
    /// one transaction, unless it is held. The row is locked first
    /// (PostgreSQL), so a hold placed meanwhile is either seen or waits.
    pub async fn move_to_bin(
        &self,
        id: &RecordingId,
        scope: DataScope,
        by: &str,
        now: i64,
        audit: NewAuditEntry,
    ) -> Result<Binned> {
        let mut filter = Filter::default();
        let p = filter.bind(id.as_str().to_string());
        filter.and(format!("r.id = {p}"));
        filter.scope(scope, "r.company_id", "r.team_id", "r.user_id");
        let mut tx = self.begin_write().await?;
        let Some(row) = sqlx::query_with(
            &format!(
                "SELECT r.held_at FROM recordings r{}{}",
                filter.where_clause(),
                self.backend.for_update()
            ),
            filter.args(),
        )
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(Binned::NotFound);
        };
        if row.try_get::<Option<i64>, _>("held_at")?.is_some() {
            return Ok(Binned::Held);
        }
        sqlx::query(&format!(
            "INSERT INTO deleted_recordings ({INSERT_COLUMNS}, deleted_at, deleted_by) \
             SELECT {INSERT_COLUMNS}, $2, $3 FROM recordings WHERE id = $1"
        ))
        .bind(id.as_str())
        .bind(now)
        .bind(by)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM recordings WHERE id = $1")
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        self.audit_in(&mut tx, audit, now).await?;
        tx.commit().await?;
        Ok(Binned::Moved)
    }

    /// Moves a deleted recording in `scope` back, with the audit entry
    /// `audit` makes for its company, in one transaction.
    pub async fn restore_recording(
        &self,
        id: &RecordingId,
        scope: DataScope,
        now: i64,
        audit: impl FnOnce(CompanyId) -> NewAuditEntry,
    ) -> Result<Restored> {
        let mut filter = Filter::default();
        let p = filter.bind(id.as_str().to_string());
        filter.and(format!("d.id = {p}"));
        filter.scope(scope, "d.company_id", "d.team_id", "d.user_id");
        let mut tx = self.begin_write().await?;
        let found = sqlx::query_with(
            &format!(
                "SELECT d.company_id FROM deleted_recordings d{}{}",
                filter.where_clause(),
                self.backend.for_update()
            ),
            filter.args(),
        )
        .fetch_optional(&mut *tx)
        .await?;
        let Some(found) = found else {
            return Ok(Restored::NotFound);
        };
        let company = CompanyId(found.try_get("company_id")?);
        let done = sqlx::query(&format!(
            "INSERT INTO recordings ({INSERT_COLUMNS}, {HOLD}) SELECT {INSERT_COLUMNS}, {HOLD} \
             FROM deleted_recordings WHERE id = $1 ON CONFLICT DO NOTHING"
        ))
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(Restored::ExternalIdTaken);
        }
        sqlx::query("DELETE FROM deleted_recordings WHERE id = $1")
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        self.audit_in(&mut tx, audit(company), now).await?;
        tx.commit().await?;
        Ok(Restored::Restored)
    }

    /// Deleted recordings in `scope`, most recently deleted first, a page
    /// of [`DELETED_PAGE`] from `page` (0-based); and whether more follow.
    pub async fn deleted_recordings(
        &self,
        scope: DataScope,
        page: i64,
    ) -> Result<(Vec<DeletedRecording>, bool)> {
        let mut filter = Filter::default();
        filter.scope(scope, "d.company_id", "d.team_id", "d.user_id");
        let (limit, offset) = (
            filter.bind(DELETED_PAGE + 1),
            filter.bind(page.max(0) * DELETED_PAGE),
        );
        let rows = sqlx::query_with(
            &format!(
                "SELECT d.id, d.company_id, c.name AS company_name, d.started_at, d.direction, \
                 d.calling_number, d.called_number, u.username, d.duration_ms, d.deleted_at, \
                 d.deleted_by, d.held_at FROM deleted_recordings d JOIN companies c ON c.id = d.company_id \
                 LEFT JOIN users u ON u.id = d.user_id{} \
                 ORDER BY d.deleted_at DESC, d.id DESC LIMIT {limit} OFFSET {offset}",
                filter.where_clause()
            ),
            filter.args(),
        )
        .fetch_all(&self.pool)
        .await?;
        let mut items = rows
            .iter()
            .map(|row| {
                let id: String = row.try_get("id")?;
                let direction: String = row.try_get("direction")?;
                Ok(DeletedRecording {
                    id: RecordingId::parse(&id).ok_or(StoreError::Corrupt(id))?,
                    company_id: CompanyId(row.try_get("company_id")?),
                    company_name: row.try_get("company_name")?,
                    started_at_ms: row.try_get("started_at")?,
                    direction: Direction::parse(&direction)
                        .ok_or(StoreError::Corrupt(direction))?,
                    calling_number: stored_number(&row.try_get::<String, _>("calling_number")?)?,
                    called_number: stored_number(&row.try_get::<String, _>("called_number")?)?,
                    username: row.try_get("username")?,
                    duration_ms: row.try_get("duration_ms")?,
                    deleted_at: row.try_get("deleted_at")?,
                    deleted_by: row.try_get("deleted_by")?,
                    held: row.try_get::<Option<i64>, _>("held_at")?.is_some(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let more = items.len() as i64 > DELETED_PAGE;
        items.truncate(DELETED_PAGE as usize);
        Ok((items, more))
    }
}
