//! The check value of the master key every node must share (see the
//! migration `0026_nodes.sql`).

use crate::{Result, Store};
use sqlx::Row;

impl Store {
    /// The recorded check value, recording `value` first if there is none
    /// (two nodes starting at once: one conditional insert wins, both read
    /// the winner's), and whether this call recorded it.
    pub async fn secret_key_check(&self, value: &str, now: i64) -> Result<(String, bool)> {
        let inserted = sqlx::query(
            "INSERT INTO secret_key_check (id, check_value, set_at) VALUES (1, $1, $2) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(value)
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1;
        let recorded = sqlx::query("SELECT check_value FROM secret_key_check WHERE id = 1")
            .fetch_one(&self.pool)
            .await?
            .try_get("check_value")?;
        Ok((recorded, inserted))
    }

    /// Records `value` in place of `old` (after a key rotation); false if
    /// another node changed it first.
    pub async fn replace_secret_key_check(&self, old: &str, value: &str, now: i64) -> Result<bool> {
        Ok(sqlx::query(
            "UPDATE secret_key_check SET check_value = $1, set_at = $2 \
             WHERE id = 1 AND check_value = $3",
        )
        .bind(value)
        .bind(now)
        .bind(old)
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1)
    }
}
