//! Companies' audio data keys, as the master key sealed them (see
//! `callrec_app::sealing`). Numbered per company; the highest is current.

use crate::{Result, Store, Write};
use callrec_domain::CompanyId;
use sqlx::Row;

/// A data key as stored: its company, number and sealed bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrappedKey {
    pub company: CompanyId,
    pub key_id: u32,
    pub wrapped: String,
    /// When it was made (Unix seconds).
    pub created_at: i64,
}

fn wrapped_from(row: &sqlx::any::AnyRow) -> Result<WrappedKey> {
    Ok(WrappedKey {
        company: CompanyId(row.try_get("company_id")?),
        key_id: row.try_get::<i64, _>("key_id")? as u32,
        wrapped: row.try_get("wrapped")?,
        created_at: row.try_get("created_at")?,
    })
}

impl Store {
    /// The company's data key `key_id`, or its newest (`None`).
    pub async fn data_key(
        &self,
        company: CompanyId,
        key_id: Option<u32>,
    ) -> Result<Option<WrappedKey>> {
        sqlx::query(
            "SELECT company_id, key_id, wrapped, created_at FROM data_keys WHERE company_id = $1 \
             AND ($2 IS NULL OR key_id = $2) ORDER BY key_id DESC LIMIT 1",
        )
        .bind(company.0)
        .bind(key_id.map(i64::from))
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(wrapped_from)
        .transpose()
    }

    /// Adds the company's key `key_id` unless it exists (two nodes making
    /// the first key at once: one row wins, both then read it). True when
    /// this call added it.
    pub async fn add_data_key(&self, key: &WrappedKey, now: i64) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO data_keys (company_id, key_id, wrapped, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (company_id, key_id) DO NOTHING",
        )
        .bind(key.company.0)
        .bind(i64::from(key.key_id))
        .bind(&key.wrapped)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// How many data keys the company has.
    pub async fn count_data_keys(&self, company: CompanyId) -> Result<i64> {
        Ok(
            sqlx::query("SELECT COUNT(*) AS n FROM data_keys WHERE company_id = $1")
                .bind(company.0)
                .fetch_one(&self.pool)
                .await?
                .try_get("n")?,
        )
    }

    /// Every company's data keys (`callrec keys rotate` re-seals them).
    pub async fn all_data_keys(&self) -> Result<Vec<WrappedKey>> {
        sqlx::query(
            "SELECT company_id, key_id, wrapped, created_at FROM data_keys ORDER BY company_id, key_id",
        )
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(wrapped_from)
            .collect()
    }
}

impl Write<'_> {
    /// Forgets the company's keys older than `key_id`, once no file is
    /// sealed with them.
    pub async fn retire_data_keys_before(
        &mut self,
        company: CompanyId,
        key_id: u32,
    ) -> Result<u64> {
        Ok(
            sqlx::query("DELETE FROM data_keys WHERE company_id = $1 AND key_id < $2")
                .bind(company.0)
                .bind(i64::from(key_id))
                .execute(self.conn())
                .await?
                .rows_affected(),
        )
    }

    /// The key sealed again under a new master key.
    pub async fn rewrap_data_key(&mut self, key: &WrappedKey) -> Result<()> {
        sqlx::query("UPDATE data_keys SET wrapped = $3 WHERE company_id = $1 AND key_id = $2")
            .bind(key.company.0)
            .bind(i64::from(key.key_id))
            .bind(&key.wrapped)
            .execute(self.conn())
            .await?;
        Ok(())
    }
}
