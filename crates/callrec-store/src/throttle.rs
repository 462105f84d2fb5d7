//! Failure counters for sign-in and MFA limits, kept in the database so
//! that a limit holds however many nodes serve requests.
//!
//! An attempt is counted *before* the password or code is checked: the
//! reservation is one conditional upsert, so of N parallel attempts at most
//! `limit` are let through to be checked, on any number of nodes. A
//! successful attempt gives its reservation back.

use crate::{NewAuditEntry, Result, Store, Write};
use callrec_domain::throttle::ThrottleScope;
use callrec_domain::UserId;
use sqlx::Row;

async fn release<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    scope: ThrottleScope,
    key: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE auth_throttle SET failures = failures - 1 \
         WHERE scope = $1 AND key = $2 AND failures > 0",
    )
    .bind(scope.code())
    .bind(key)
    .execute(executor)
    .await?;
    Ok(())
}

/// The answer for several windows at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reservations {
    /// Each window's count, this attempt included, in order.
    Reserved(Vec<i64>),
    /// A window is full for this many more seconds; none was counted.
    Refused { wait: i64 },
}

/// The conditional upsert that counts one attempt: the new count, or
/// `None` when the window is full.
async fn reserve<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    scope: ThrottleScope,
    key: &str,
    now: i64,
    window: ThrottleWindow,
) -> Result<Option<i64>> {
    let row = sqlx::query(
        "INSERT INTO auth_throttle (scope, key, window_start, failures) VALUES ($1, $2, $3, 1) \
         ON CONFLICT (scope, key) DO UPDATE SET \
           failures = CASE WHEN auth_throttle.window_start <= $4 THEN 1 \
                           ELSE auth_throttle.failures + 1 END, \
           window_start = CASE WHEN auth_throttle.window_start <= $4 THEN $3 \
                               ELSE auth_throttle.window_start END \
         WHERE auth_throttle.window_start <= $4 OR auth_throttle.failures < $5 \
         RETURNING failures",
    )
    .bind(scope.code())
    .bind(key)
    .bind(now)
    .bind(now - window.seconds)
    .bind(window.limit)
    .fetch_optional(executor)
    .await?;
    Ok(match row {
        Some(row) => Some(row.try_get("failures")?),
        None => None,
    })
}

/// At most `limit` failures per `seconds`-long window, counted from the
/// first failure of the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleWindow {
    pub seconds: i64,
    pub limit: i64,
}

/// How far over its limit a held window's count goes: more than any number
/// of attempts that can be in flight when the hold begins.
const HELD_MARGIN: i64 = 1_000_000;

/// The answer to "may this attempt be checked?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// Yes; it is the `n`-th counted in the window (this one included).
    Reserved(i64),
    /// No: the window is full for this many more seconds.
    Refused { wait: i64 },
}

impl Store {
    /// Counts one attempt if the window has room. One statement: the upsert
    /// updates only while `failures < limit` (or the window is over), so
    /// parallel attempts can never pass the limit between a read and a write.
    pub async fn reserve_attempt(
        &self,
        scope: ThrottleScope,
        key: &str,
        now: i64,
        window: ThrottleWindow,
    ) -> Result<Reservation> {
        match reserve(&self.pool, scope, key, now, window).await? {
            Some(count) => Ok(Reservation::Reserved(count)),
            None => Ok(Reservation::Refused {
                wait: self.wait(scope, key, now, window).await?,
            }),
        }
    }

    /// [`Store::reserve_attempt`] in each of `windows`, all or none, in one
    /// transaction: a sign-in takes its places in its account's and its
    /// address's windows with one commit, and a full window leaves the
    /// other untouched (nothing to give back). The counts, in order.
    pub async fn reserve_attempts(
        &self,
        windows: &[(ThrottleScope, &str, ThrottleWindow)],
        now: i64,
    ) -> Result<Reservations> {
        let mut tx = self.begin_write().await?;
        let mut counts = Vec::with_capacity(windows.len());
        for (scope, key, window) in windows {
            match reserve(&mut *tx, *scope, key, now, *window).await? {
                Some(count) => counts.push(count),
                None => {
                    tx.rollback().await?;
                    let wait = self.wait(*scope, key, now, *window).await?;
                    return Ok(Reservations::Refused { wait });
                }
            }
        }
        tx.commit().await?;
        Ok(Reservations::Reserved(counts))
    }

    /// Seconds until a full window has room.
    async fn wait(
        &self,
        scope: ThrottleScope,
        key: &str,
        now: i64,
        window: ThrottleWindow,
    ) -> Result<i64> {
        Ok(self
            .throttled_for(scope, key, now, window)
            .await?
            // The window ended between the two statements: try again later.
            .unwrap_or(1))
    }

    /// Gives back a reservation whose attempt succeeded.
    pub async fn release_attempt(&self, scope: ThrottleScope, key: &str) -> Result<()> {
        release(&self.pool, scope, key).await
    }

    /// A sign-in that succeeded, in one write transaction (one commit where
    /// there were four; the sign-ins a second it buys were within the
    /// benchmark's noise, docs/BENCHMARKS.md): its reservations given back,
    /// the user's last sign-in time and the audit entry.
    pub async fn record_successful_sign_in(
        &self,
        reservations: &[(ThrottleScope, &str)],
        user: UserId,
        entry: NewAuditEntry,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for (scope, key) in reservations {
            release(&mut *tx, *scope, key).await?;
        }
        sqlx::query("UPDATE users SET last_sign_in_at = $1 WHERE id = $2")
            .bind(now)
            .bind(user.0)
            .execute(&mut *tx)
            .await?;
        self.audit_in(&mut tx, entry, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Seconds until the window is over when the limit is reached, else `None`.
    pub async fn throttled_for(
        &self,
        scope: ThrottleScope,
        key: &str,
        now: i64,
        window: ThrottleWindow,
    ) -> Result<Option<i64>> {
        let row = sqlx::query(
            "SELECT window_start, failures FROM auth_throttle WHERE scope = $1 AND key = $2",
        )
        .bind(scope.code())
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let window_start: i64 = row.try_get("window_start")?;
        let failures: i64 = row.try_get("failures")?;
        let remaining = window_start + window.seconds - now;
        Ok((remaining > 0 && failures >= window.limit).then_some(remaining))
    }

    /// Removes counters whose window ended more than `longest_window`
    /// seconds ago (the longest window configured); returns how many.
    pub async fn purge_stale_counters(&self, now: i64, longest_window: i64) -> Result<u64> {
        let done = sqlx::query("DELETE FROM auth_throttle WHERE window_start < $1")
            .bind(now - 2 * longest_window)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}

impl Write<'_> {
    /// Keeps the window full until `until` at least: a lock that ends on
    /// its own. A window that would end later keeps its end, so a lock can
    /// never make room for more attempts than the window allows; and the
    /// count goes far over the limit, so places that attempts in flight
    /// give back cannot open it either.
    pub async fn hold_until(
        &mut self,
        scope: ThrottleScope,
        key: &str,
        until: i64,
        window: ThrottleWindow,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE auth_throttle SET failures = $4, \
               window_start = CASE WHEN window_start > $3 THEN window_start ELSE $3 END \
             WHERE scope = $1 AND key = $2",
        )
        .bind(scope.code())
        .bind(key)
        .bind(until - window.seconds)
        .bind(window.limit + HELD_MARGIN)
        .execute(self.conn())
        .await?;
        Ok(())
    }
}
