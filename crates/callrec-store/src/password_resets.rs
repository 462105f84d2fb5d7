//! Forgotten password links (migration 0012): only the token's hash is
//! kept; a link works once, for its time, and only while the password is
//! still the one it was made for.

use crate::{Result, Store, Write};
use callrec_domain::UserId;
use sqlx::Row;

impl Store {
    /// The user a live link belongs to: not used, not expired, and the
    /// password unchanged since it was made.
    pub async fn password_reset_user(&self, token_hash: &str, now: i64) -> Result<Option<UserId>> {
        let row = sqlx::query(
            "SELECT p.user_id FROM password_resets p JOIN users u ON u.id = p.user_id \
             JOIN companies c ON c.id = u.company_id \
             WHERE p.token_hash = $1 AND p.used_at IS NULL AND p.expires_at > $2 \
             AND u.password_hash = p.password_hash AND u.enabled = 1 AND c.enabled = 1",
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
}

impl Write<'_> {
    /// Spends a link and sets the new password in one transaction: only
    /// if the link is unused and unexpired and the password is still the
    /// one it was made for (so a change meanwhile is never overwritten).
    /// True for exactly one of several requests using it at once.
    pub async fn reset_password_by_link(
        &mut self,
        token_hash: &str,
        new_hash: &str,
    ) -> Result<bool> {
        let now = self.now;
        let spent = sqlx::query(
            "UPDATE password_resets SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL \
             AND expires_at > $1 AND password_hash = \
             (SELECT u.password_hash FROM users u WHERE u.id = password_resets.user_id AND u.enabled = 1)",
        )
        .bind(now)
        .bind(token_hash)
        .execute(self.conn())
        .await?;
        if spent.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query(
            "UPDATE users SET password_hash = $1, password_expires_at = NULL, updated_at = $2 \
             WHERE id = (SELECT user_id FROM password_resets WHERE token_hash = $3) \
             AND password_hash = (SELECT password_hash FROM password_resets WHERE token_hash = $3)",
        )
        .bind(new_hash)
        .bind(now)
        .bind(token_hash)
        .execute(self.conn())
        .await?;
        Ok(true)
    }

    pub async fn create_password_reset(
        &mut self,
        token_hash: &str,
        user: UserId,
        expires_at: i64,
    ) -> Result<()> {
        let now = self.now;
        sqlx::query(
            "INSERT INTO password_resets (token_hash, user_id, password_hash, expires_at, created_at) \
             SELECT $1, id, password_hash, $2, $3 FROM users WHERE id = $4",
        )
        .bind(token_hash)
        .bind(expires_at)
        .bind(now)
        .bind(user.0)
        .execute(self.conn())
        .await?;
        Ok(())
    }
}
