//! API tokens: made here, shown once, stored only as their SHA-256; made
//! and revoked the same way (and audited the same way) from the API tokens
//! page and the command line.

use crate::audit::AuditContext;
use crate::mail::{notify_holders, NoticeKind};
use crate::Error;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use callrec_domain::api_scope::ApiScopes;
use callrec_domain::audit::AuditAction;
use callrec_domain::{CompanyId, Role, TokenName};
use callrec_store::{ApiToken, NewApiToken, Store, User};
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

/// Who answers for a company's tokens, and is told of a new one.
const ANSWERABLE: [Role; 1] = [Role::ManageUsers];

/// Mails the maker (`maker`, a signed-in user; none at the command line)
/// and the company's Manage Users holders that `token` was made: a token
/// made from a stolen session must not go unnoticed (security review,
/// wave 2, item 3). Call when mail is on.
pub async fn announce_token(
    store: &Store,
    token: &ApiToken,
    maker: Option<&User>,
    audit: &AuditContext,
) -> Result<(), Error> {
    let kind = NoticeKind::TokenCreated {
        company: token.company_name.clone(),
        name: token.name.clone(),
        scopes: token.scopes.to_string(),
        by: audit.actor_name().to_string(),
    };
    notify_holders(store, token.company_id, &ANSWERABLE, maker, kind, audit).await
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

/// Disabling `user`: revokes every working token they made, in any
/// company (a Global user makes them for others), each audited; returns
/// how many.
pub async fn revoke_tokens_made_by(
    store: &Store,
    user: &User,
    audit: &AuditContext,
) -> Result<usize, Error> {
    let mut revoked = 0;
    for token in store.list_api_tokens(None).await? {
        if token.revoked_at.is_none()
            && token.created_by.as_deref() == Some(user.username.as_str())
            && revoke_token(store, &token, audit).await?
        {
            revoked += 1;
        }
    }
    Ok(revoked)
}
