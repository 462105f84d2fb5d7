//! API tokens: made here, shown once, stored only as their SHA-256; made
//! and revoked the same way (and audited the same way) from the API tokens
//! page and the command line.

use crate::accounts::AuditContext;
use crate::Error;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use callrec_domain::api_scope::ApiScopes;
use callrec_domain::{CompanyId, TokenName};
use callrec_store::{ApiToken, AuditAction, NewApiToken, Store};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// The stored form of a token.
pub fn token_hash(token: &str) -> String {
    callrec_domain::hex::hex(&Sha256::digest(token.as_bytes()))
}

/// A new API token: shown once, stored only as its hash.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("crt_{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// A token to make.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    pub company: CompanyId,
    pub name: TokenName,
    pub scopes: ApiScopes,
    /// Days until it stops working; `None`: until revoked.
    pub lifetime_days: Option<u32>,
}

/// Makes a token: the stored row, and the token itself, which is never
/// seen again.
pub async fn create_token(
    store: &Store,
    request: &TokenRequest,
    audit: &AuditContext,
) -> Result<(ApiToken, String), Error> {
    let token = new_token();
    let hash = token_hash(&token);
    let expires_at = request
        .lifetime_days
        .map(|days| audit.now + i64::from(days) * 86_400);
    let entry = audit
        .entry(AuditAction::TokenCreated)
        .company(request.company)
        .target(request.name.as_str())
        .details(format!(
            "scopes {}; {}",
            request.scopes,
            match request.lifetime_days {
                Some(days) => format!("expires in {days} days"),
                None => "no expiry".to_string(),
            }
        ));
    let new = NewApiToken {
        company: request.company,
        name: &request.name,
        scopes: request.scopes,
        token_hash: &hash,
        expires_at,
        created_by: audit.actor_name(),
    };
    let stored = store.create_api_token(&new, entry, audit.now).await?;
    Ok((stored, token))
}

/// Revokes a company's token; false if it has no unrevoked token `id`.
pub async fn revoke_token(
    store: &Store,
    token: &ApiToken,
    audit: &AuditContext,
) -> Result<bool, Error> {
    let entry = audit
        .entry(AuditAction::TokenRevoked)
        .company(token.company_id)
        .target(&token.name);
    Ok(store
        .revoke_api_token(token.company_id, token.id, entry, audit.now)
        .await?)
}
