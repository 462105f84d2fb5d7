//! Figures for the metrics endpoint: connections in use and the mail
//! waiting to go out.

use crate::{Result, Store};
use sqlx::Row;

/// One connection pool's connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// `main` (everything) or `reads` (sessions and the Recordings page).
    pub pool: &'static str,
    pub in_use: usize,
    pub open: usize,
    pub max: usize,
}

impl Store {
    pub fn pool_stats(&self) -> [PoolStats; 2] {
        let open = self.pool.size() as usize;
        let idle = self.pool.num_idle();
        let (in_use, reads_open, reads_max) = self.reads.stats();
        [
            PoolStats {
                pool: "main",
                in_use: open.saturating_sub(idle),
                open,
                max: self.pool.options().get_max_connections() as usize,
            },
            PoolStats {
                pool: "reads",
                in_use,
                open: reads_open,
                max: reads_max,
            },
        ]
    }

    /// Messages in the outbox neither sent nor given up.
    pub async fn count_mail_waiting(&self) -> Result<i64> {
        Ok(sqlx::query(
            "SELECT COUNT(*) AS waiting FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL",
        )
        .fetch_one(&self.pool)
        .await?
        .try_get("waiting")?)
    }
}
