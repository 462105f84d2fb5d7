//! API tokens: a company's credentials for the API, stored only as the
//! SHA-256 of the token, each with its scopes and optional expiry.

use crate::{NewAuditEntry, Result, Store, StoreError};
use callrec_domain::api_scope::{ApiScopes, TokenGrant};
use callrec_domain::{CompanyId, TokenName};
use sqlx::any::AnyRow;
use sqlx::Row;

/// A token as lists show it, and as a request is authorised by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: i64,
    pub company_id: CompanyId,
    pub company_name: String,
    pub name: String,
    pub scopes: ApiScopes,
    pub created_at: i64,
    /// Who made it: a username, or `cli`.
    pub created_by: Option<String>,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub last_used_addr: Option<String>,
    pub revoked_at: Option<i64>,
}

/// Where a token stands at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    Active,
    Expired,
    Revoked,
}

impl TokenState {
    pub fn label(self) -> &'static str {
        match self {
            TokenState::Active => "Active",
            TokenState::Expired => "Expired",
            TokenState::Revoked => "Revoked",
        }
    }
}

impl ApiToken {
    pub fn grant(&self) -> TokenGrant {
        TokenGrant {
            company: self.company_id,
            scopes: self.scopes,
        }
    }

    pub fn state(&self, now: i64) -> TokenState {
        match (self.revoked_at, self.expires_at) {
            (Some(_), _) => TokenState::Revoked,
            (None, Some(at)) if at <= now => TokenState::Expired,
            _ => TokenState::Active,
        }
    }
}

/// A token to store: its hash, never the token.
#[derive(Debug, Clone)]
pub struct NewApiToken<'a> {
    pub company: CompanyId,
    pub name: &'a TokenName,
    pub scopes: ApiScopes,
    pub token_hash: &'a str,
    pub expires_at: Option<i64>,
    pub created_by: &'a str,
}

fn token_from_row(row: &AnyRow) -> Result<ApiToken> {
    let scopes: String = row.try_get("scopes")?;
    Ok(ApiToken {
        id: row.try_get("id")?,
        company_id: CompanyId(row.try_get("company_id")?),
        company_name: row.try_get("company_name")?,
        name: row.try_get("name")?,
        scopes: ApiScopes::parse(&scopes).map_err(|_| StoreError::Corrupt(scopes))?,
        created_at: row.try_get("created_at")?,
        created_by: row.try_get("created_by")?,
        expires_at: row.try_get("expires_at")?,
        last_used_at: row.try_get("last_used_at")?,
        last_used_addr: row.try_get("last_used_addr")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

const TOKEN_SELECT: &str = "SELECT k.id, k.company_id, c.name AS company_name, k.name, k.scopes, \
     k.created_at, k.created_by, k.expires_at, k.last_used_at, k.last_used_addr, k.revoked_at \
     FROM api_tokens k JOIN companies c ON c.id = k.company_id";

/// A token's last use is written at most once a minute from one address:
/// a busy integration would otherwise write on every request.
const LAST_USE_SECONDS: i64 = 60;

impl Store {
    /// Stores a token and its audit entry in one transaction.
    pub async fn create_api_token(
        &self,
        new: &NewApiToken<'_>,
        entry: NewAuditEntry,
        now: i64,
    ) -> Result<ApiToken> {
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO api_tokens (company_id, name, token_hash, created_at, scopes, expires_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(new.company.0)
        .bind(new.name.as_str())
        .bind(new.token_hash)
        .bind(now)
        .bind(new.scopes.to_string())
        .bind(new.expires_at)
        .bind(new.created_by)
        .fetch_one(&mut *tx)
        .await
        .map_err(StoreError::conflict_as("a token with that name for this company"))?
        .try_get("id")?;
        self.audit_in(&mut tx, entry, now).await?;
        let token = sqlx::query(&format!("{TOKEN_SELECT} WHERE k.id = $1"))
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        token_from_row(&token)
    }

    /// A live token by its hash: not revoked, not expired, and its company
    /// enabled.
    pub async fn api_token(&self, token_hash: &str, now: i64) -> Result<Option<ApiToken>> {
        sqlx::query(&format!(
            "{TOKEN_SELECT} WHERE k.token_hash = $1 AND k.revoked_at IS NULL \
             AND (k.expires_at IS NULL OR k.expires_at > $2) AND c.enabled = 1"
        ))
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(token_from_row)
        .transpose()
    }

    /// Notes a use of the token (when and from where), unless the same
    /// address was noted in the last minute.
    pub async fn note_api_token_use(&self, token: &ApiToken, addr: &str, now: i64) -> Result<()> {
        let fresh = token.last_used_addr.as_deref() == Some(addr)
            && token
                .last_used_at
                .is_some_and(|at| now - at < LAST_USE_SECONDS);
        if fresh {
            return Ok(());
        }
        sqlx::query(
            "UPDATE api_tokens SET last_used_at = $2, last_used_addr = $3 \
             WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)",
        )
        .bind(token.id)
        .bind(now)
        .bind(addr)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Token `id`, if it is `company`'s (any company's for `None`),
    /// revoked or not.
    pub async fn api_token_by_id(
        &self,
        id: i64,
        company: Option<CompanyId>,
    ) -> Result<Option<ApiToken>> {
        sqlx::query(&format!(
            "{TOKEN_SELECT} WHERE k.id = $1 AND ($2 IS NULL OR k.company_id = $2)"
        ))
        .bind(id)
        .bind(company.map(|c| c.0))
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(token_from_row)
        .transpose()
    }

    /// Every token (or one company's), by company and name.
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

    /// Revokes a company's token and audits it in one transaction; false
    /// (and nothing written) if the company has no unrevoked token by that
    /// id.
    pub async fn revoke_api_token(
        &self,
        company: CompanyId,
        id: i64,
        entry: NewAuditEntry,
        now: i64,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $3 WHERE company_id = $1 AND id = $2 AND revoked_at IS NULL",
        )
        .bind(company.0)
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        self.audit_in(&mut tx, entry, now).await?;
        tx.commit().await?;
        Ok(true)
    }
}
