//! Recovery codes as keyed hashes. The hashing is the application's (it
//! holds the keys); here a set is replaced whole and a code is spent once.

use crate::{Result, Store, Write};
use callrec_domain::UserId;
use sqlx::Row;

impl Store {
    /// How many of the user's recovery codes are unused.
    pub async fn recovery_codes_left(&self, user: UserId) -> Result<i64> {
        codes_left(&self.pool, user).await
    }
}

/// How many of `user`'s recovery codes are unused.
async fn codes_left<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    user: UserId,
) -> Result<i64> {
    Ok(sqlx::query(
        "SELECT COUNT(*) AS n FROM mfa_recovery_codes WHERE user_id = $1 AND used_at IS NULL",
    )
    .bind(user.0)
    .fetch_one(executor)
    .await?
    .try_get("n")?)
}

impl Write<'_> {
    /// [`Store::recovery_codes_left`] as this change sees it.
    pub async fn recovery_codes_left(&mut self, user: UserId) -> Result<i64> {
        codes_left(self.conn(), user).await
    }

    /// Replaces the user's recovery codes with `hashes`, in one
    /// transaction: the old set stops working as the new one starts.
    pub async fn replace_recovery_codes(&mut self, user: UserId, hashes: &[String]) -> Result<()> {
        let now = self.now;
        sqlx::query("DELETE FROM mfa_recovery_codes WHERE user_id = $1")
            .bind(user.0)
            .execute(self.conn())
            .await?;
        for hash in hashes {
            sqlx::query(
                "INSERT INTO mfa_recovery_codes (user_id, code_hash, created_at) VALUES ($1, $2, $3)",
            )
            .bind(user.0)
            .bind(hash)
            .bind(now)
            .execute(self.conn())
            .await?;
        }
        Ok(())
    }

    /// Spends the unused code whose hash is one of `candidates` (its hash
    /// under each key of the keyring); true if one was spent. A single
    /// conditional write: of two requests with the same code, one wins.
    pub async fn spend_recovery_code(
        &mut self,
        user: UserId,
        candidates: &[String],
    ) -> Result<bool> {
        let now = self.now;
        for hash in candidates {
            let done = sqlx::query(
                "UPDATE mfa_recovery_codes SET used_at = $3 \
                 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
            )
            .bind(user.0)
            .bind(hash)
            .bind(now)
            .execute(self.conn())
            .await?;
            if done.rows_affected() == 1 {
                return Ok(true);
            }
        }
        Ok(false)
    }
}
