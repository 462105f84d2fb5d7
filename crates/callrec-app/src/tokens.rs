//! API tokens: made here, shown once, stored only as their SHA-256; made
//! and revoked the same way (and audited the same way) from the API tokens
//! page and the command line.

use crate::audit::AuditContext;
use crate::mail::{notify_holders, NoticeKind};
use crate::{Caller, Error};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use callrec_domain::api_scope::ApiScopes;
use callrec_domain::audit::AuditAction;
use callrec_domain::throttle::ThrottleScope;
use callrec_domain::{CompanyId, Role, TokenName, ValidationError};
use callrec_store::{ApiToken, NewApiToken, Reservation, Store, StoreError, ThrottleWindow, User};
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

/// Refuses `scopes` beyond what `caller` may do themselves.
pub fn check_scopes(caller: Caller<'_>, scopes: ApiScopes) -> Result<(), ValidationError> {
    match scopes.iter().find(|s| !caller.may_grant(*s)) {
        Some(beyond) => Err(ValidationError::new(
            "scope",
            format!(
                "A token gets only what you may do yourself: {} needs {}, which you do not have",
                beyond.code(),
                beyond.role().map_or("", |r| r.name())
            ),
        )),
        None => Ok(()),
    }
}

/// Makes a token: the stored row, and the token itself, which is never
/// seen again. A token is never more than its maker: each scope needs the
/// role of its page, and the company must be the maker's to reach.
pub async fn create_token(
    store: &Store,
    caller: Caller<'_>,
    request: &TokenRequest,
    audit: &AuditContext,
) -> Result<(ApiToken, String), Error> {
    caller.require(Role::ManageUsers)?;
    caller.require_presence()?;
    check_scopes(caller, request.scopes)?;
    if !caller.reaches_company(request.company) {
        return Err(ValidationError::new("company", "Choose the company the token is for").into());
    }
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
    let stored = store
        .create_api_token(&new, entry, audit.now)
        .await
        .map_err(|err| match err {
            StoreError::Conflict { .. } => Error::from(ValidationError::new(
                "name",
                "This company already has a token with that name; choose another",
            )),
            other => other.into(),
        })?;
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

/// What a presented token is good for on this request.
#[derive(Debug)]
pub enum TokenUse {
    /// Unknown, revoked, expired, or its company is disabled.
    Refused,
    /// Over its rate limit: try again in `wait` seconds.
    Throttled {
        wait: i64,
    },
    Allowed(ApiToken),
}

/// Checks a presented token and counts the request against its limit:
/// one conditional write (`reserve_attempt`) on every node alike, so the
/// limit holds across a cluster. Notes its last use (time and address).
pub async fn use_token(
    store: &Store,
    presented: &str,
    client: &str,
    window: ThrottleWindow,
    now: i64,
) -> Result<TokenUse, Error> {
    let Some(token) = store.api_token(&token_hash(presented), now).await? else {
        return Ok(TokenUse::Refused);
    };
    let key = token.id.to_string();
    if let Reservation::Refused { wait } = store
        .reserve_attempt(ThrottleScope::ApiToken, &key, now, window)
        .await?
    {
        return Ok(TokenUse::Throttled { wait });
    }
    store.note_api_token_use(&token, client, now).await?;
    Ok(TokenUse::Allowed(token))
}
