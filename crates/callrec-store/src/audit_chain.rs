//! Reading the audit chains back, for `callrec audit verify` and anchors:
//! each chain's head as recorded, and its entries in order.

use crate::{Result, Store};
use sqlx::Row;

/// A chain's head as `audit_chains` records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    pub chain: String,
    pub length: i64,
    pub head_hash: String,
}

/// An entry as stored, with its place in its chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainedEntry {
    pub id: i64,
    pub seq: i64,
    pub at: i64,
    pub action: String,
    pub actor_user_id: Option<i64>,
    pub actor_name: Option<String>,
    pub company_id: Option<i64>,
    pub target: Option<String>,
    pub client_addr: Option<String>,
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The entries outside the chains (`Store::audit_unchained`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnchainedEntries {
    /// Entries from before the chains, as counted when they began.
    pub recorded: i64,
    /// Of those, how many are there now.
    pub found: i64,
    /// Entries outside the chains written since (up to 100 ids).
    pub others: Vec<i64>,
}

impl Store {
    /// Every chain's recorded head, by name.
    pub async fn audit_chain_heads(&self) -> Result<Vec<ChainHead>> {
        sqlx::query("SELECT chain, length, head_hash FROM audit_chains ORDER BY chain")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| {
                Ok(ChainHead {
                    chain: row.try_get("chain")?,
                    length: row.try_get("length")?,
                    head_hash: row.try_get("head_hash")?,
                })
            })
            .collect()
    }

    /// Up to `limit` entries of `chain` after position `after`, in order.
    pub async fn audit_chain_entries(
        &self,
        chain: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<ChainedEntry>> {
        sqlx::query(
            "SELECT id, seq, at, action, actor_user_id, actor_name, company_id, target, \
             client_addr, details, prev_hash, hash FROM audit_log \
             WHERE chain = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        )
        .bind(chain)
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            Ok(ChainedEntry {
                id: row.try_get("id")?,
                seq: row.try_get("seq")?,
                at: row.try_get("at")?,
                action: row.try_get("action")?,
                actor_user_id: row.try_get("actor_user_id")?,
                actor_name: row.try_get("actor_name")?,
                company_id: row.try_get("company_id")?,
                target: row.try_get("target")?,
                client_addr: row.try_get("client_addr")?,
                details: row.try_get("details")?,
                prev_hash: row
                    .try_get::<Option<String>, _>("prev_hash")?
                    .unwrap_or_default(),
                hash: row
                    .try_get::<Option<String>, _>("hash")?
                    .unwrap_or_default(),
            })
        })
        .collect()
    }

    /// Every chain entries name, with or without a recorded head.
    pub async fn audit_chain_names(&self) -> Result<Vec<String>> {
        sqlx::query("SELECT DISTINCT chain FROM audit_log WHERE chain IS NOT NULL ORDER BY chain")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| Ok(row.try_get("chain")?))
            .collect()
    }

    /// Entries outside every chain: how many the chains began after, how
    /// many of those are there now, and the ids of any others (which only a
    /// hand in the database adds).
    pub async fn audit_unchained(&self) -> Result<UnchainedEntries> {
        let start = sqlx::query(
            "SELECT COALESCE(MAX(last_unchained_id), 0) AS last, COALESCE(MAX(unchained), 0) AS n \
             FROM audit_chain_start",
        )
        .fetch_one(&self.pool)
        .await?;
        let last: i64 = start.try_get("last")?;
        let recorded: i64 = start.try_get("n")?;
        let found: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM audit_log WHERE chain IS NULL AND id <= $1")
                .bind(last)
                .fetch_one(&self.pool)
                .await?
                .try_get("n")?;
        let others = sqlx::query(
            "SELECT id FROM audit_log WHERE chain IS NULL AND id > $1 ORDER BY id LIMIT 100",
        )
        .bind(last)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| row.try_get("id"))
        .collect::<std::result::Result<Vec<i64>, _>>()?;
        Ok(UnchainedEntries {
            recorded,
            found,
            others,
        })
    }
}
