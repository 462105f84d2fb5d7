//! API tokens: a company's credentials for the ingest API, stored only as
//! the SHA-256 of the token.

use crate::{Result, Store, StoreError};
use callrec_domain::CompanyId;
use sqlx::any::AnyRow;
use sqlx::Row;

/// An API token's owner, found by the token's hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: i64,
    pub company_id: CompanyId,
    pub company_name: String,
    pub name: String,
    pub created_at: i64,
    pub revoked: bool,
}

fn token_from_row(row: &AnyRow) -> Result<ApiToken> {
    Ok(ApiToken {
        id: row.try_get("id")?,
        company_id: CompanyId(row.try_get("company_id")?),
        company_name: row.try_get("company_name")?,
        name: row.try_get("name")?,
        created_at: row.try_get("created_at")?,
        revoked: row.try_get::<Option<i64>, _>("revoked_at")?.is_some(),
    })
}

const TOKEN_SELECT: &str =
    "SELECT k.id, k.company_id, c.name AS company_name, k.name, k.created_at, k.revoked_at \
     FROM api_tokens k JOIN companies c ON c.id = k.company_id";

impl Store {
    pub async fn create_api_token(
        &self,
        company: CompanyId,
        name: &str,
        token_hash: &str,
        now: i64,
    ) -> Result<()> {
        sqlx::query("INSERT INTO api_tokens (company_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4)")
            .bind(company.0)
            .bind(name)
            .bind(token_hash)
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(StoreError::conflict_as("a token with that name for this company"))?;
        Ok(())
    }

    /// A live token by its hash: not revoked, and its company enabled.
    pub async fn api_token(&self, token_hash: &str) -> Result<Option<ApiToken>> {
        sqlx::query(&format!(
            "{TOKEN_SELECT} WHERE k.token_hash = $1 AND k.revoked_at IS NULL AND c.enabled = 1"
        ))
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(token_from_row)
        .transpose()
    }

    pub async fn list_api_tokens(&self, company: Option<CompanyId>) -> Result<Vec<ApiToken>> {
        let rows = match company {
            Some(c) => {
                sqlx::query(&format!(
                    "{TOKEN_SELECT} WHERE k.company_id = $1 ORDER BY c.name_key, k.name"
                ))
                .bind(c.0)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(&format!("{TOKEN_SELECT} ORDER BY c.name_key, k.name"))
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter().map(token_from_row).collect()
    }

    /// Revokes a company's token by name; false if there was no live one.
    pub async fn revoke_api_token(&self, company: CompanyId, name: &str, now: i64) -> Result<bool> {
        let done = sqlx::query("UPDATE api_tokens SET revoked_at = $3 WHERE company_id = $1 AND name = $2 AND revoked_at IS NULL")
            .bind(company.0)
            .bind(name)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
