//! The purge job's writes: a lease so one node at a time runs it, batches
//! that delete rows due for deletion with their audit entry and the list of
//! their audio files in one transaction, and that list worked off after.
//!
//! Crash-safety: rows and their to-do entries commit together, and a file
//! is removed before its entry is; so after a crash anywhere the next run
//! finds either the rows (not yet deleted) or the entries (files still to
//! remove), never a row without audio or audio nobody will remove.

use crate::{NewAuditEntry, Result, Store};
use callrec_domain::CompanyId;
use sqlx::Row;

/// Jobs that run on one node at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    Purge,
    /// Sealing stored audio (`callrec migrate`, `keys rotate --data`).
    Seal,
    /// "Place hold on all matching" (or release) for one company, or for
    /// every company (`None`): one at a time, as it works in batches.
    BulkHold(Option<CompanyId>),
    /// Waveform peaks of files stored before there were any.
    Waveforms,
}

impl Job {
    pub fn code(self) -> String {
        match self {
            Job::Purge => "purge".into(),
            Job::Seal => "seal".into(),
            Job::BulkHold(Some(company)) => format!("bulk-hold-{company}"),
            Job::BulkHold(None) => "bulk-hold-all".into(),
            Job::Waveforms => "waveforms".into(),
        }
    }
}

/// What a batch removes: recordings that started before `expired_before`
/// (their retention is over) and deleted ones deleted before
/// `deleted_before` or also expired. Held recordings are never touched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurgeRule {
    pub company: CompanyId,
    /// `None`: the company keeps its recordings forever.
    pub expired_before: Option<i64>,
    pub deleted_before: i64,
}

/// What one batch removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PurgedBatch {
    /// Recordings whose retention was over.
    pub expired: u64,
    /// Deleted recordings whose time in Deleted recordings was over.
    pub deleted: u64,
}

impl PurgedBatch {
    pub fn total(self) -> u64 {
        self.expired + self.deleted
    }
}

impl Store {
    /// Takes or renews `job`'s lease for `holder` until `until`, unless
    /// another holder's lease is still running at `now`: one conditional
    /// write, so two nodes asking at once cannot both get it.
    pub async fn take_lease(&self, job: Job, holder: &str, now: i64, until: i64) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO job_leases (job, holder, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
             WHERE job_leases.holder = excluded.holder OR job_leases.expires_at <= $4",
        )
        .bind(job.code())
        .bind(holder)
        .bind(until)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Gives the lease up (when the work is done), if `holder` has it.
    pub async fn release_lease(&self, job: Job, holder: &str) -> Result<()> {
        sqlx::query("DELETE FROM job_leases WHERE job = $1 AND holder = $2")
            .bind(job.code())
            .bind(holder)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// How many of the company's recordings started before `before` and
    /// are not held: what a retention ending there would delete.
    pub async fn count_due(&self, company: CompanyId, before: i64) -> Result<i64> {
        Ok(sqlx::query(
            "SELECT COUNT(*) AS n FROM recordings \
             WHERE company_id = $1 AND started_at < $2 AND held_at IS NULL",
        )
        .bind(company.0)
        .bind(before)
        .fetch_one(&self.pool)
        .await?
        .try_get("n")?)
    }

    /// Deletes up to `limit` recordings and up to `limit` deleted ones due
    /// under `rule`, queues their audio for removal and writes `audit`'s
    /// entry for them, in one transaction. Nothing is written when nothing
    /// was due.
    pub async fn purge_batch(
        &self,
        rule: PurgeRule,
        limit: i64,
        now: i64,
        audit: impl FnOnce(PurgedBatch) -> NewAuditEntry,
    ) -> Result<PurgedBatch> {
        let mut tx = self.begin_write().await?;
        let mut keys: Vec<String> = Vec::new();
        let mut ids: Vec<String> = Vec::new();
        let mut batch = PurgedBatch::default();
        if let Some(before) = rule.expired_before {
            // `held_at IS NULL` outside the subquery too: on PostgreSQL a
            // row held meanwhile is checked again before it is deleted.
            let rows = sqlx::query(
                "DELETE FROM recordings WHERE held_at IS NULL AND id IN \
                 (SELECT id FROM recordings WHERE company_id = $1 AND started_at < $2 \
                  AND held_at IS NULL ORDER BY started_at LIMIT $3) RETURNING id, storage_key",
            )
            .bind(rule.company.0)
            .bind(before)
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?;
            batch.expired = rows.len() as u64;
            for row in rows {
                keys.push(row.try_get("storage_key")?);
                ids.push(row.try_get("id")?);
            }
        }
        let rows = sqlx::query(
            "DELETE FROM deleted_recordings WHERE held_at IS NULL AND id IN \
             (SELECT id FROM deleted_recordings WHERE company_id = $1 AND held_at IS NULL \
              AND (deleted_at < $2 OR started_at < $3) ORDER BY deleted_at LIMIT $4) \
             RETURNING id, storage_key",
        )
        .bind(rule.company.0)
        .bind(rule.deleted_before)
        .bind(rule.expired_before.unwrap_or(i64::MIN))
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        batch.deleted = rows.len() as u64;
        for row in rows {
            keys.push(row.try_get("storage_key")?);
            ids.push(row.try_get("id")?);
        }
        if batch.total() == 0 {
            return Ok(batch);
        }
        // A purged recording's notes, tags, marks and transcript go with it.
        let tables = ["recording_notes", "recording_tags", "recording_marks"]
            .into_iter()
            .chain(crate::transcripts::TRANSCRIPT_TABLES);
        for id in &ids {
            for table in tables.clone() {
                sqlx::query(&format!("DELETE FROM {table} WHERE recording_id = $1"))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        keys.sort();
        keys.dedup();
        for key in &keys {
            sqlx::query(
                "INSERT INTO purged_audio (storage_key, queued_at) VALUES ($1, $2) \
                 ON CONFLICT (storage_key) DO NOTHING",
            )
            .bind(key)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        self.audit_in(&mut tx, audit(batch), now).await?;
        tx.commit().await?;
        Ok(batch)
    }

    /// Up to `limit` audio files whose rows were purged, still to remove.
    pub async fn purged_audio(&self, limit: i64) -> Result<Vec<String>> {
        sqlx::query("SELECT storage_key FROM purged_audio ORDER BY storage_key LIMIT $1")
            .bind(limit)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| Ok(row.try_get("storage_key")?))
            .collect()
    }

    /// The file at `key` is gone (or still used by another recording).
    pub async fn forget_purged_audio(&self, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM purged_audio WHERE storage_key = $1")
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
