//! Forgotten password links (migration 0012): only the token's hash is
//! kept; a link works once, for its time, and only while the password is
//! still the one it was made for.

use crate::{Result, Store};
use callrec_domain::UserId;
use sqlx::Row;

impl Store {
    pub async fn create_password_reset(
        &self,
        token_hash: &str,
        user: UserId,
        expires_at: i64,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO password_resets (token_hash, user_id, password_hash, expires_at, created_at) \
             SELECT $1, id, password_hash, $2, $3 FROM users WHERE id = $4",
        )
        .bind(token_hash)
        .bind(expires_at)
        .bind(now)
        .bind(user.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The user a live link belongs to: not used, not expired, and the
    /// password unchanged since it was made.
    pub async fn password_reset_user(&self, token_hash: &str, now: i64) -> Result<Option<UserId>> {
        let row = sqlx::query(
            "SELECT p.user_id FROM password_resets p JOIN users u ON u.id = p.user_id \
             WHERE p.token_hash = $1 AND p.used_at IS NULL AND p.expires_at > $2 \
             AND u.password_hash = p.password_hash AND u.enabled = 1",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row
            .map(|row| row.try_get("user_id"))
            .transpose()?
            .map(UserId))
    }

    /// Spends a link: true for exactly one of several requests using it at
    /// once (one conditional write).
    pub async fn use_password_reset(&self, token_hash: &str, now: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE password_resets SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL \
             AND expires_at > $1",
        )
        .bind(now)
        .bind(token_hash)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
