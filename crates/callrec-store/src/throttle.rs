//! Failure counters for sign-in throttling, kept in the database so that the
//! limit holds however many nodes serve requests.

use crate::{Result, Store};
use sqlx::Row;

/// At most `limit` failures per `seconds`-long window, counted from the
/// first failure of the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleWindow {
    pub seconds: i64,
    pub limit: i64,
}

impl Store {
    /// Counts one failure and returns the failures in the current window,
    /// this one included. One statement, so parallel failures all count.
    pub async fn record_failure(
        &self,
        scope: &str,
        key: &str,
        now: i64,
        window: ThrottleWindow,
    ) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO auth_throttle (scope, key, window_start, failures) VALUES ($1, $2, $3, 1) \
             ON CONFLICT (scope, key) DO UPDATE SET \
               failures = CASE WHEN auth_throttle.window_start <= $4 THEN 1 \
                               ELSE auth_throttle.failures + 1 END, \
               window_start = CASE WHEN auth_throttle.window_start <= $4 THEN $3 \
                                   ELSE auth_throttle.window_start END \
             RETURNING failures",
        )
        .bind(scope)
        .bind(key)
        .bind(now)
        .bind(now - window.seconds)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get("failures")?)
    }

    /// Seconds until the window is over when the limit is reached, else `None`.
    pub async fn throttled_for(
        &self,
        scope: &str,
        key: &str,
        now: i64,
        window: ThrottleWindow,
    ) -> Result<Option<i64>> {
        let row = sqlx::query(
            "SELECT window_start, failures FROM auth_throttle WHERE scope = $1 AND key = $2",
        )
        .bind(scope)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let window_start: i64 = row.try_get("window_start")?;
        let failures: i64 = row.try_get("failures")?;
        let remaining = window_start + window.seconds - now;
        Ok((remaining > 0 && failures >= window.limit).then_some(remaining))
    }

    pub async fn clear_failures(&self, scope: &str, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM auth_throttle WHERE scope = $1 AND key = $2")
            .bind(scope)
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
