//! Legal hold on recordings: placed with a reason, released, one at a time
//! or on every recording a search matches. Each change is written with its
//! audit entry in one transaction; a held recording is never moved to
//! Deleted recordings (`bin.rs`) or purged (`purge.rs`), both of which
//! check `held_at IS NULL` in the same statement that removes it.

use super::{matching, RecordingQuery};
use crate::filter::Filter;
use crate::{NewAuditEntry, Result, Store};
use callrec_domain::hold::HoldReason;
use callrec_domain::permissions::DataScope;
use callrec_domain::recording::RecordingId;
use callrec_domain::CompanyId;
use sqlx::Row;
use std::collections::BTreeMap;

/// Placing or releasing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldChange<'a> {
    Place(&'a HoldReason),
    Release,
}

impl HoldChange<'_> {
    /// `SET …`, its values bound in `filter`.
    fn set(self, filter: &mut Filter, by: &str, now: i64) -> String {
        match self {
            HoldChange::Place(reason) => {
                let (at, who, why) = (
                    filter.bind(now),
                    filter.bind(by.to_string()),
                    filter.bind(reason.as_str().to_string()),
                );
                format!("held_at = {at}, held_by = {who}, hold_reason = {why}")
            }
            HoldChange::Release => "held_at = NULL, held_by = NULL, hold_reason = NULL".into(),
        }
    }

    /// The condition a row must meet to change: placing skips held rows
    /// (their reason stays), releasing skips free ones.
    fn unchanged(self) -> &'static str {
        match self {
            HoldChange::Place(_) => "held_at IS NULL",
            HoldChange::Release => "held_at IS NOT NULL",
        }
    }
}

impl Store {
    /// Places or releases the hold on one recording in `scope`. `None`
    /// when it is not there; `Some(false)` when nothing changed (already
    /// held, or not held); the audit entry is written only on a change.
    pub async fn change_hold(
        &self,
        id: &RecordingId,
        scope: DataScope,
        change: HoldChange<'_>,
        by: &str,
        now: i64,
        audit: NewAuditEntry,
    ) -> Result<Option<bool>> {
        // The change first, its scope in the same statement: a Delete
        // that wins the race leaves nothing to change, and the answer is
        // "not there" — never "placed" on a row that is gone (security
        // review, wave 2, item 8).
        let mut update = Filter::default();
        let (set, unchanged) = (change.set(&mut update, by, now), change.unchanged());
        let p = update.bind(id.as_str().to_string());
        update.and(format!("r.id = {p}"));
        update.scope(scope, "r.company_id", "r.team_id", "r.user_id");
        let mut tx = self.begin_write().await?;
        let done = sqlx::query_with(
            &format!(
                "UPDATE recordings SET {set} WHERE {unchanged} AND id IN \
                 (SELECT r.id FROM recordings r{})",
                update.where_clause()
            ),
            update.args(),
        )
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 1 {
            self.audit_in(&mut tx, audit, now).await?;
            tx.commit().await?;
            return Ok(Some(true));
        }
        let mut filter = Filter::default();
        let p = filter.bind(id.as_str().to_string());
        filter.and(format!("r.id = {p}"));
        filter.scope(scope, "r.company_id", "r.team_id", "r.user_id");
        let exists = sqlx::query_with(
            &format!("SELECT r.id FROM recordings r{}", filter.where_clause()),
            filter.args(),
        )
        .fetch_optional(&mut *tx)
        .await?
        .is_some();
        tx.commit().await?;
        Ok(exists.then_some(false))
    }

    /// How many deleted recordings (in Deleted recordings) `query` matches.
    pub async fn count_deleted_matching(&self, query: &RecordingQuery) -> Result<i64> {
        let filter = matching(query);
        Ok(sqlx::query_with(
            &format!(
                "SELECT COUNT(*) AS n FROM deleted_recordings r{}",
                filter.where_clause()
            ),
            filter.args(),
        )
        .fetch_one(&self.pool)
        .await?
        .try_get("n")?)
    }

    /// How many recordings `query` matches (its scope and filters; paging
    /// ignored), and how many of them are held.
    pub async fn count_matching(&self, query: &RecordingQuery) -> Result<(i64, i64)> {
        let filter = matching(query);
        let row = sqlx::query_with(
            &format!(
                "SELECT COUNT(*) AS n, COUNT(r.held_at) AS held FROM recordings r{}",
                filter.where_clause()
            ),
            filter.args(),
        )
        .fetch_one(&self.pool)
        .await?;
        Ok((row.try_get("n")?, row.try_get("held")?))
    }

    /// Places or releases the hold on every recording `query` matches, in
    /// Recordings and in Deleted recordings, [`HOLD_BATCH`] rows a
    /// transaction, with one audit entry per company changed (`audit`
    /// makes it from the company and the count) written with the last
    /// batch. Returns the number changed.
    pub async fn change_holds_matching(
        &self,
        query: &RecordingQuery,
        change: HoldChange<'_>,
        by: &str,
        now: i64,
        audit: impl Fn(CompanyId, u64) -> NewAuditEntry,
    ) -> Result<u64> {
        let mut per_company: BTreeMap<i64, u64> = BTreeMap::new();
        let mut total = 0;
        // Deleted recordings the search matches are held (or released) too:
        // a hold must reach what someone deleted last week.
        let tables = ["recordings", "deleted_recordings"];
        for (t, table) in tables.iter().enumerate() {
            let mut after = String::new();
            loop {
                // The batch's ids are read first, outside the write, walking
                // the ids forward: the write lock covers only the UPDATE of
                // those rows (one statement over every match held SQLite's
                // lock for 2.4 s; a statement that searched for unchanged
                // rows each batch held it longer and longer).
                let mut reading = matching(query);
                reading.and(format!("r.{}", change.unchanged()));
                let p = reading.bind(after.clone());
                reading.and(format!("r.id > {p}"));
                let limit = reading.bind(HOLD_BATCH);
                let ids: Vec<String> = sqlx::query_with(
                    &format!(
                        "SELECT r.id FROM {table} r{} ORDER BY r.id LIMIT {limit}",
                        reading.where_clause()
                    ),
                    reading.args(),
                )
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|row| row.try_get("id"))
                .collect::<std::result::Result<_, _>>()?;
                let finished = (ids.len() as i64) < HOLD_BATCH;
                let last = finished && t == tables.len() - 1;
                if ids.is_empty() && !last {
                    break;
                }
                let mut tx = self.begin_write().await?;
                if let Some(newest) = ids.last() {
                    after = newest.clone();
                    let mut update = Filter::default();
                    let (set, unchanged) = (change.set(&mut update, by, now), change.unchanged());
                    let places: Vec<String> =
                        ids.iter().map(|id| update.bind(id.clone())).collect();
                    let rows = sqlx::query_with(
                        &format!(
                            "UPDATE {table} SET {set} WHERE {unchanged} AND id IN ({}) \
                             RETURNING company_id",
                            places.join(", ")
                        ),
                        update.args(),
                    )
                    .fetch_all(&mut *tx)
                    .await?;
                    for row in &rows {
                        *per_company.entry(row.try_get("company_id")?).or_default() += 1;
                    }
                    total += rows.len() as u64;
                }
                if last {
                    for (company, count) in &per_company {
                        self.audit_in(&mut tx, audit(CompanyId(*company), *count), now)
                            .await?;
                    }
                }
                tx.commit().await?;
                if finished {
                    break;
                }
            }
        }
        Ok(total)
    }
}

/// Rows a bulk hold changes per transaction. One UPDATE of ~170,000 rows
/// held SQLite's write lock for 2.4 s and every sign-in waited (security
/// review, wave 2, item 6); 2,000 known ids are a short write
/// (docs/BENCHMARKS.md).
pub const HOLD_BATCH: i64 = 2_000;
