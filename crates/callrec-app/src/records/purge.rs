//! The purge job: every node runs it every ten minutes (and `callrec purge`
//! on demand); a lease in the database lets one node at a time work. It
//! first finishes any file removals a crashed run left, then, company by
//! company, deletes in batches the recordings whose retention is over and
//! the deleted ones whose time in Deleted recordings is over — never a
//! held one — each batch with its audit entry, then their audio files.

use super::RecordsSettings;
use crate::{Clock, Error};
use callrec_domain::audit::AuditAction;
use callrec_domain::zone::Zone;
use callrec_store::{BlobStore, Job, NewAuditEntry, PurgeRule, Store};

/// How long a lease lasts unless renewed; each batch renews it. A node
/// that dies mid-run holds the job up for at most this long.
pub const LEASE_SECONDS: i64 = 120;

/// Rows per batch: one transaction each. 500 keeps a batch's write lock
/// short on SQLite (see docs/BENCHMARKS.md, purge).
pub const BATCH: i64 = 500;

/// Who the audit log names for the job's batches.
const ACTOR: &str = "purge job";

/// What a run did, so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PurgeReport {
    /// Recordings deleted because their retention was over.
    pub expired: u64,
    /// Deleted recordings removed for good.
    pub deleted: u64,
    /// Audio files removed.
    pub files: u64,
    pub batches: u64,
}

/// One run, as one node. `holder` names the node for the lease.
pub struct Purge<'a> {
    pub store: &'a Store,
    pub blobs: &'a BlobStore,
    pub settings: RecordsSettings,
    /// The zone of companies that chose none (months count in it).
    pub default_zone: &'a Zone,
    pub clock: &'a Clock,
    pub holder: &'a str,
    pub batch: i64,
}

impl Purge<'_> {
    /// Runs to the end, calling `progress` after each batch. `None` when
    /// another node holds the lease (it is doing the work).
    pub async fn run(
        &self,
        mut progress: impl FnMut(&PurgeReport),
    ) -> Result<Option<PurgeReport>, Error> {
        if !self.renew().await? {
            return Ok(None);
        }
        let mut report = PurgeReport::default();
        // What a run before this one left half-done.
        report.files += self.remove_files().await?;
        for company in self.store.list_companies().await? {
            let zone = company.zone(self.default_zone);
            loop {
                if !self.renew().await? {
                    return Ok(Some(report));
                }
                let now = self.clock.now();
                // Read again each batch: a period changed mid-run (a
                // mistake put right) takes effect at once.
                let Some(company) = self.store.company(company.id).await? else {
                    break;
                };
                let rule = PurgeRule {
                    company: company.id,
                    expired_before: company.retention_rule().cutoff(&zone, self.clock.now_ms()),
                    deleted_before: now - i64::from(self.settings.deleted_days) * 86_400,
                };
                let retention = company.retention_rule().in_force(now);
                let batch = self
                    .store
                    .purge_batch(rule, self.batch, now, |done| {
                        let mut entry = NewAuditEntry::new(AuditAction::RecordingsPurged)
                            .company(company.id)
                            .target(format!("{} recordings", done.total()))
                            .details(format!(
                                "{} past the retention period ({retention}), {} from Deleted recordings after {} days",
                                done.expired, done.deleted, self.settings.deleted_days
                            ));
                        entry.actor_name = Some(ACTOR.into());
                        entry
                    })
                    .await?;
                if batch.total() == 0 {
                    break;
                }
                report.expired += batch.expired;
                report.deleted += batch.deleted;
                report.batches += 1;
                report.files += self.remove_files().await?;
                progress(&report);
            }
        }
        // Originals of redacted calls kept for holds that are gone (the
        // hold released, or the call purged above): destroyed now.
        if self
            .store
            .release_redacted_originals(self.clock.now())
            .await?
            > 0
        {
            report.files += self.remove_files().await?;
        }
        self.store.release_lease(Job::Purge, self.holder).await?;
        Ok(Some(report))
    }

    async fn renew(&self) -> Result<bool, Error> {
        let now = self.clock.now();
        Ok(self
            .store
            .take_lease(Job::Purge, self.holder, now, now + LEASE_SECONDS)
            .await?)
    }

    /// Removes the queued files nothing uses any more (another recording
    /// of the same company may share one), then their queue entries.
    async fn remove_files(&self) -> Result<u64, Error> {
        let mut removed = 0;
        loop {
            let keys = self.store.purged_audio(self.batch).await?;
            if keys.is_empty() {
                return Ok(removed);
            }
            if !self.renew().await? {
                return Ok(removed);
            }
            for key in keys {
                if self.store.remove_audio_if_unused(&key, self.blobs).await? {
                    removed += 1;
                }
                self.store.forget_purged_audio(&key).await?;
            }
        }
    }
}
