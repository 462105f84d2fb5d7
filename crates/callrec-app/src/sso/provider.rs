//! The companies' OpenID providers as `openidconnect` speaks to them:
//! discovery (kept an hour per issuer, read again at once when a token is
//! signed by a key it does not list), the authorization URL with PKCE,
//! state and nonce, and the code exchanged for an ID token that is checked
//! (signature by the provider's JWKS, issuer, audience, expiry, nonce).

use chrono::{DateTime, Utc};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJwsSigningAlgorithm, CoreProviderMetadata,
};
use openidconnect::{
    reqwest, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, SignatureVerificationError,
    TokenResponse,
};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A provider's metadata is read again after this long.
const KEEP_METADATA_SECONDS: i64 = 3600;
/// How long the portal waits for a provider's answer.
const ANSWER_SECONDS: u64 = 10;

type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// What went wrong with a provider, said without its secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// Discovery or the token endpoint could not be reached or read.
    #[error("the identity provider did not answer as expected: {0}")]
    Unreachable(String),
    /// The token endpoint refused the code (used, expired, or another
    /// client's).
    #[error("the identity provider refused the sign-in code: {0}")]
    CodeRefused(String),
    /// The answer held no ID token.
    #[error("the identity provider sent no ID token")]
    NoIdToken,
    /// The ID token failed a check.
    #[error("the ID token was refused: {0}")]
    TokenRefused(TokenProblem),
}

/// Which check an ID token failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenProblem {
    Signature,
    Issuer,
    Audience,
    Expired,
    Nonce,
    Other,
}

impl TokenProblem {
    pub fn code(self) -> &'static str {
        match self {
            TokenProblem::Signature => "signature",
            TokenProblem::Issuer => "issuer",
            TokenProblem::Audience => "audience",
            TokenProblem::Expired => "expired",
            TokenProblem::Nonce => "nonce",
            TokenProblem::Other => "claims",
        }
    }

    fn of(error: &ClaimsVerificationError) -> TokenProblem {
        match error {
            ClaimsVerificationError::SignatureVerification(_) => TokenProblem::Signature,
            ClaimsVerificationError::InvalidIssuer(_) => TokenProblem::Issuer,
            ClaimsVerificationError::InvalidAudience(_) => TokenProblem::Audience,
            ClaimsVerificationError::Expired(_) => TokenProblem::Expired,
            ClaimsVerificationError::InvalidNonce(_) => TokenProblem::Nonce,
            _ => TokenProblem::Other,
        }
    }
}

impl std::fmt::Display for TokenProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// The portal's registration at one provider.
#[derive(Clone, Copy)]
pub struct Registration<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub client_secret: &'a str,
    pub redirect_uri: &'a str,
}

/// Where to send the browser, and what to keep until it comes back.
#[derive(Debug, Clone)]
pub struct Authorization {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub verifier: String,
}

/// What a checked ID token says of the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub subject: String,
    pub email: Option<String>,
    /// `Some(false)` when the provider says the address is not verified.
    pub email_verified: Option<bool>,
    pub name: Option<String>,
    pub amr: Vec<String>,
    pub acr: Option<String>,
}

/// The providers this node talks to, with their metadata kept.
pub struct Providers {
    http: reqwest::Client,
    metadata: Mutex<HashMap<String, (Arc<CoreProviderMetadata>, i64)>>,
}

impl Providers {
    pub fn new() -> Result<Providers, crate::Error> {
        let http = reqwest::ClientBuilder::new()
            // Following redirects would let a provider's answer point the
            // portal anywhere (SSRF).
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(ANSWER_SECONDS))
            .build()
            .map_err(|err| {
                crate::Error::Internal(format!("single sign-on's HTTP client: {err}"))
            })?;
        Ok(Providers {
            http,
            metadata: Mutex::default(),
        })
    }

    /// The provider's metadata and keys: kept ones unless `fresh` or
    /// older than an hour.
    async fn metadata(
        &self,
        issuer: &str,
        now: i64,
        fresh: bool,
    ) -> Result<Arc<CoreProviderMetadata>, ProviderError> {
        if !fresh {
            let kept = self.metadata.lock().map_or(None, |kept| {
                kept.get(issuer)
                    .filter(|(_, at)| now - at < KEEP_METADATA_SECONDS)
                    .map(|(metadata, _)| metadata.clone())
            });
            if let Some(metadata) = kept {
                return Ok(metadata);
            }
        }
        let url = IssuerUrl::new(issuer.to_string())
            .map_err(|err| ProviderError::Unreachable(err.to_string()))?;
        // Discovery checks that the document names this very issuer.
        let metadata = CoreProviderMetadata::discover_async(url, &self.http)
            .await
            .map_err(|err| ProviderError::Unreachable(error_chain(&err)))?;
        let metadata = Arc::new(metadata);
        if let Ok(mut kept) = self.metadata.lock() {
            kept.insert(issuer.to_string(), (metadata.clone(), now));
        }
        Ok(metadata)
    }

    async fn client(
        &self,
        registration: Registration<'_>,
        now: i64,
        fresh: bool,
    ) -> Result<Client, ProviderError> {
        let metadata = self.metadata(registration.issuer, now, fresh).await?;
        let redirect = RedirectUrl::new(registration.redirect_uri.to_string())
            .map_err(|err| ProviderError::Unreachable(err.to_string()))?;
        Ok(CoreClient::from_provider_metadata(
            (*metadata).clone(),
            ClientId::new(registration.client_id.to_string()),
            Some(ClientSecret::new(registration.client_secret.to_string())),
        )
        .set_redirect_uri(redirect))
    }

    /// Reads the provider's metadata now (settings are checked on save).
    pub async fn check(&self, issuer: &str, now: i64) -> Result<(), ProviderError> {
        self.metadata(issuer, now, true).await.map(|_| ())
    }

    /// The authorization request: code flow, PKCE (S256), a fresh state
    /// and nonce, asking for the person's email and name.
    pub async fn authorize(
        &self,
        registration: Registration<'_>,
        login_hint: &str,
        now: i64,
    ) -> Result<Authorization, ProviderError> {
        let client = self.client(registration, now, false).await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .add_extra_param("login_hint", login_hint)
            .set_pkce_challenge(challenge)
            .url();
        Ok(Authorization {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            verifier: verifier.secret().clone(),
        })
    }

    /// Exchanges `code` (with its PKCE verifier) and checks the ID token
    /// against `nonce` at `now` by the portal's clock.
    pub async fn redeem(
        &self,
        registration: Registration<'_>,
        code: &str,
        verifier: &str,
        nonce: &str,
        now: i64,
    ) -> Result<Identity, ProviderError> {
        let client = self.client(registration, now, false).await?;
        let answer = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|err| ProviderError::Unreachable(err.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(verifier.to_string()))
            .request_async(&self.http)
            .await
            .map_err(|err| match err {
                openidconnect::RequestTokenError::ServerResponse(answer) => {
                    ProviderError::CodeRefused(answer.error().to_string())
                }
                other => ProviderError::Unreachable(error_chain(&other)),
            })?;
        let token = answer.id_token().ok_or(ProviderError::NoIdToken)?;
        let nonce = Nonce::new(nonce.to_string());
        let check = |client: &Client| {
            let verifier = client
                .id_token_verifier()
                .set_allowed_algs(ALGORITHMS)
                .set_time_fn(move || clock_time(now));
            token.claims(&verifier, &nonce).map(identity)
        };
        let (client, mut identity) = match check(&client) {
            Ok(identity) => (client, identity),
            // A key the kept set does not list: the provider may have
            // rotated its keys. Read them again once.
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => {
                let client = self.client(registration, now, true).await?;
                let identity = check(&client)
                    .map_err(|err| ProviderError::TokenRefused(TokenProblem::of(&err)))?;
                (client, identity)
            }
            Err(err) => return Err(ProviderError::TokenRefused(TokenProblem::of(&err))),
        };
        if identity.email.is_none() {
            // Providers that keep scope claims out of the ID token when an
            // access token is issued (OpenID Connect Core 5.4; oidc-provider
            // by default) give them at the userinfo endpoint, for the same
            // subject only.
            let subject = openidconnect::SubjectIdentifier::new(identity.subject.clone());
            let request = client
                .user_info(answer.access_token().clone(), Some(subject))
                .map_err(|err| ProviderError::Unreachable(err.to_string()))?;
            let claims: openidconnect::core::CoreUserInfoClaims = request
                .request_async(&self.http)
                .await
                .map_err(|err| ProviderError::Unreachable(error_chain(&err)))?;
            identity.email = claims.email().map(|email| email.as_str().to_string());
            identity.email_verified = claims.email_verified();
            if identity.name.is_none() {
                identity.name = claims
                    .name()
                    .and_then(|name| name.get(None))
                    .map(|name| name.as_str().to_string());
            }
        }
        Ok(identity)
    }
}

/// The signatures accepted: the providers' asymmetric ones (never a MAC
/// keyed with the client secret).
const ALGORITHMS: [CoreJwsSigningAlgorithm; 7] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
    CoreJwsSigningAlgorithm::EdDsa,
];

fn clock_time(now: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(now, 0).unwrap_or_default()
}

fn identity(claims: &openidconnect::core::CoreIdTokenClaims) -> Identity {
    Identity {
        subject: claims.subject().as_str().to_string(),
        email: claims.email().map(|email| email.as_str().to_string()),
        email_verified: claims.email_verified(),
        name: claims
            .name()
            .and_then(|name| name.get(None))
            .map(|name| name.as_str().to_string()),
        amr: claims
            .auth_method_refs()
            .map(|methods| methods.iter().map(|m| m.as_str().to_string()).collect())
            .unwrap_or_default(),
        acr: claims
            .auth_context_ref()
            .map(|acr| acr.as_str().to_string()),
    }
}

/// An error with its causes, for the log.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
