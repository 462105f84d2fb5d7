//! Recordings as records (issue 13): how long a company keeps them
//! (`retention`), legal hold (`holds`), recoverable deletion (`bin`) and
//! the purge job that deletes what is due (`purge`). docs/RECORDS.md
//! explains them to administrators and auditors.

pub mod bin;
pub mod bulk;
pub mod holds;
pub mod purge;
pub mod retention;

use callrec_domain::retention::Retention;

/// The operator's settings for records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordsSettings {
    /// CALLREC_DEFAULT_RETENTION: the retention of companies added from now.
    pub default_retention: Retention,
    /// CALLREC_DELETED_RETENTION_DAYS: how long Deleted recordings keeps a
    /// recording before the purge job removes it.
    pub deleted_days: u32,
    /// CALLREC_BULK_DOWNLOAD_MAX: the most recordings one ZIP holds.
    pub bulk_download_max: u32,
    /// CALLREC_RETENTION_NOTICE_DAYS: how long a shorter retention waits
    /// before the purge uses it.
    pub retention_notice_days: u32,
}

impl Default for RecordsSettings {
    fn default() -> Self {
        RecordsSettings {
            default_retention: Retention::Forever,
            deleted_days: 30,
            bulk_download_max: 1_000,
            retention_notice_days: 7,
        }
    }
}

impl RecordsSettings {
    /// When a recording deleted at `deleted_at` (Unix seconds) leaves
    /// Deleted recordings for good.
    pub fn purged_after(&self, deleted_at: i64) -> i64 {
        deleted_at + i64::from(self.deleted_days) * 86_400
    }
}
