//! Server-side sessions. Only a hash of the session id is stored, so a copy
//! of the database does not hand out live sessions.

use crate::{Result, Store, Write};
use callrec_domain::{SessionFacts, UserId};
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub id_hash: String,
    pub user_id: UserId,
    pub created_at: i64,
    pub last_seen_at: i64,
    /// Whether a code (or a registration) was accepted in this session,
    /// whether our MFA is demanded in it, and how it began.
    pub facts: SessionFacts,
    /// When "Confirm it's you" last succeeded in it (Unix seconds).
    pub confirmed_at: Option<i64>,
}

/// How long a session lives: `idle` seconds without a request, and
/// `absolute` seconds after sign-in whatever happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionTimeouts {
    pub idle: i64,
    pub absolute: i64,
}

/// How often `last_seen_at` is written: at most once a minute per session, so
/// page loads do not each cost a write.
const TOUCH_EVERY_SECONDS: i64 = 60;

impl Store {
    /// Deletes an expired session, or touches a stale one; true if it lives.
    pub(crate) async fn keep_alive(
        &self,
        record: &SessionRecord,
        now: i64,
        timeouts: SessionTimeouts,
    ) -> Result<bool> {
        if now - record.last_seen_at >= timeouts.idle
            || now - record.created_at >= timeouts.absolute
        {
            sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                .bind(&record.id_hash)
                .execute(&self.pool)
                .await?;
            return Ok(false);
        }
        if now - record.last_seen_at >= TOUCH_EVERY_SECONDS {
            sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
                .bind(now)
                .bind(&record.id_hash)
                .execute(&self.pool)
                .await?;
        }
        Ok(true)
    }

    pub async fn count_user_sessions(&self, user: UserId) -> Result<i64> {
        Ok(
            sqlx::query("SELECT COUNT(*) AS n FROM sessions WHERE user_id = $1")
                .bind(user.0)
                .fetch_one(&self.pool)
                .await?
                .try_get("n")?,
        )
    }

    /// Removes sessions past either timeout; returns how many.
    pub async fn purge_expired_sessions(&self, now: i64, timeouts: SessionTimeouts) -> Result<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE last_seen_at <= $1 OR created_at <= $2")
            .bind(now - timeouts.idle)
            .bind(now - timeouts.absolute)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    /// Notes that the session just proved presence ("Confirm it's you").
    pub async fn set_session_confirmed(&self, id_hash: &str, now: i64) -> Result<()> {
        sqlx::query("UPDATE sessions SET confirmed_at = $1 WHERE id_hash = $2")
            .bind(now)
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

impl Write<'_> {
    /// Marks whether the session has passed MFA (cleared when the user's own
    /// registration is reset, so they register again straight away).
    pub async fn set_session_mfa_passed(&mut self, id_hash: &str, passed: bool) -> Result<()> {
        sqlx::query("UPDATE sessions SET mfa_passed = $1 WHERE id_hash = $2")
            .bind(i64::from(passed))
            .bind(id_hash)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Ends every session of a user but `keep` (the caller's own, if any);
    /// returns how many ended.
    pub async fn delete_user_sessions(&mut self, user: UserId, keep: Option<&str>) -> Result<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
            .bind(user.0)
            .bind(keep.unwrap_or(""))
            .execute(self.conn())
            .await?;
        Ok(done.rows_affected())
    }

    pub async fn create_session(
        &mut self,
        id_hash: &str,
        user: UserId,
        client_addr: &str,
        facts: SessionFacts,
    ) -> Result<()> {
        let now = self.now;
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, client_addr, \
             mfa_passed, mfa_demanded, method) VALUES ($1, $2, $3, $3, $4, $5, $6, $7)",
        )
        .bind(id_hash)
        .bind(user.0)
        .bind(now)
        .bind(client_addr)
        .bind(i64::from(facts.mfa_passed))
        .bind(i64::from(facts.mfa_demanded))
        .bind(facts.method.code())
        .execute(self.conn())
        .await?;
        Ok(())
    }

    pub async fn delete_session(&mut self, id_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(self.conn())
            .await?;
        Ok(())
    }
}
