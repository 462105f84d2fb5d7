//! Who is calling the API: a live token, its client address, and the rate
//! limit it is inside of. Every API request but the description starts
//! here.

use super::ApiError;
use crate::error::AppError;
use crate::security::ClientAddr;
use crate::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use callrec_app::audit::once::audit_once;
use callrec_app::audit::{AuditActor, AuditContext};
use callrec_app::tokens::{use_token, TokenUse};
use callrec_domain::api_scope::{ApiScope, TokenGrant};
use callrec_domain::audit::AuditAction;
use callrec_domain::throttle::ThrottleScope;
use callrec_store::ApiToken;

/// A request made with a live token, inside its rate limit.
pub(crate) struct ApiCaller {
    pub token: ApiToken,
    pub client: String,
    pub now: i64,
}

/// The longest token accepted (ours are 47 characters).
const MAX_TOKEN_CHARS: usize = 200;

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let ClientAddr(client) = ClientAddr::from_request_parts(parts, state)
            .await
            .unwrap_or_else(|never| match never {});
        let unauthorized = || {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "Send a valid API token as Authorization: Bearer <token>; a revoked or expired token needs replacing on the API tokens page.",
            )
        };
        let presented = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty() && t.len() <= MAX_TOKEN_CHARS)
            .ok_or_else(unauthorized)?;
        let now = state.now();
        let window = state.config.api_per_token;
        let used = use_token(&state.store, presented, &client, window, now).await;
        let token = match used.map_err(AppError::from)? {
            TokenUse::Allowed(token) => token,
            TokenUse::Refused => return Err(unauthorized()),
            TokenUse::Throttled { wait } => {
                crate::metrics::throttled(ThrottleScope::ApiToken.code());
                return Err(ApiError::rate_limited(wait, window.limit));
            }
        };
        Ok(ApiCaller { token, client, now })
    }
}

impl ApiCaller {
    /// The token's grant if it has `scope`. Without it the resource does
    /// not exist for this token (404), as a page is for a user without
    /// the role.
    pub fn require(&self, scope: ApiScope) -> Result<TokenGrant, ApiError> {
        let grant = self.token.grant();
        if grant.may(scope) {
            Ok(grant)
        } else {
            Err(ApiError::not_found())
        }
    }

    /// [`ApiCaller::require`] for a read of records that leaves no entry of
    /// its own (searches, details, the directory, the audit log): the first
    /// such read of each scope in ten minutes is audited, with what was
    /// asked for, so the log shows which tokens read what and when.
    pub async fn allow_read(
        &self,
        state: &AppState,
        scope: ApiScope,
        what: &str,
    ) -> Result<TokenGrant, ApiError> {
        let grant = self.require(scope)?;
        let key = format!("api:{}:{}", self.token.id, scope.code());
        let entry = self
            .audit()
            .entry(AuditAction::ApiRead)
            .company(grant.company)
            .target(scope.code())
            .details(what);
        audit_once(&state.store, &key, entry, self.now)
            .await
            .map_err(AppError::from)?;
        Ok(grant)
    }

    /// Audit entries of this token's actions.
    pub fn audit(&self) -> AuditContext {
        AuditContext {
            actor: AuditActor::Token(self.token.name.clone()),
            client: self.client.clone(),
            now: self.now,
        }
    }
}
