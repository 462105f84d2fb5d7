//! The HTTP side of callrec: server-rendered pages and pop-ups, sessions,
//! cross-site request protection and security headers.
//!
//! Handlers stay thin: they extract the request, ask the domain whether the
//! actor may act, call the store, and render.

mod account;
mod api;
mod assets;
mod auth;
mod companies;
mod company;
mod config;
mod error;
pub(crate) mod form;
#[doc(hidden)]
pub mod fuzzing;
mod health;
mod home;
mod layout;
pub mod metrics;
mod mfa;
mod presence;
mod recordings;
mod reports;
mod scim;
mod security;
pub mod server;
mod session;
pub mod startup;
mod teams;
mod tokens;

mod trace;
pub mod urls;
mod users;

pub use callrec_app::mfa::MfaSettings;
pub use config::WebConfig;
pub use error::AppError;

use axum::Router;
use callrec_app::mfa::{Mfa, SecurityKeys};
use callrec_app::sealing::DataKeys;
use callrec_app::{Clock, Keyring, Passwords};
use callrec_store::{BlobStore, Store};
use std::sync::Arc;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<WebConfig>,
    pub passwords: Passwords,
    /// Encrypts and decrypts TOTP secrets.
    pub keyring: Arc<Keyring>,
    /// Audio files.
    pub blobs: BlobStore,
    /// The companies' data keys that seal audio at rest.
    pub data_keys: DataKeys,
    pub clock: Clock,
    /// The WebAuthn relying party, when `CALLREC_PUBLIC_URL` names a host.
    pub security_keys: Option<Arc<SecurityKeys>>,
    /// Home's figures of the last minute, per view.
    pub(crate) dashboards: Arc<home::DashboardCache>,
    /// The call detail reports and exports running on this node, per user.
    pub(crate) reports: Arc<reports::slots::ReportSlots>,
    /// This node's recording server, as `/readyz` reports it (filled by
    /// `callrec serve` when it runs one).
    pub capture: Arc<callrec_app::capture::CaptureStatus>,
    /// The companies' identity providers (single sign-on).
    pub sso: Arc<callrec_app::sso::Providers>,
}

impl AppState {
    pub fn new(
        store: Store,
        config: WebConfig,
        keyring: Keyring,
        blobs: BlobStore,
    ) -> Result<AppState, callrec_app::Error> {
        let passwords = Passwords::new(&config.argon2)?;
        let security_keys = config.public_url.as_deref().and_then(|url| {
            SecurityKeys::for_public_url(url, &config.mfa.issuer)
                .map_err(|why| tracing::warn!("security keys are off: {why}"))
                .ok()
                .map(Arc::new)
        });
        let keyring = Arc::new(keyring);
        Ok(AppState {
            security_keys,
            store,
            config: Arc::new(config),
            passwords,
            data_keys: DataKeys::new(keyring.clone()),
            keyring,
            blobs,
            clock: Clock::system(),
            dashboards: Arc::default(),
            reports: Arc::default(),
            capture: Arc::default(),
            sso: Arc::new(callrec_app::sso::Providers::new()?),
        })
    }

    /// The same portal on another clock (tests move theirs).
    pub fn with_clock(self, clock: Clock) -> AppState {
        AppState { clock, ..self }
    }

    /// Seconds since the Unix epoch, by this portal's clock.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// What the MFA use cases work with.
    pub fn mfa(&self) -> Mfa<'_> {
        Mfa {
            store: &self.store,
            keyring: &self.keyring,
            settings: &self.config.mfa,
            mail: self.config.mail.is_some(),
            keys: self.security_keys.as_deref(),
        }
    }
}

/// The whole portal. Serve it with
/// `into_make_service_with_connect_info::<SocketAddr>()` so client addresses
/// reach the audit log.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(auth::routes())
        .merge(home::routes())
        .merge(mfa::routes())
        .merge(account::routes())
        .merge(company::routes())
        .merge(companies::routes())
        .merge(users::routes())
        .merge(teams::routes())
        .merge(tokens::routes())
        .merge(reports::routes())
        .merge(recordings::routes())
        .merge(health::routes())
        .merge(api::routes(state.config.max_upload_bytes))
        .merge(scim::routes())
        .merge(assets::routes())
        .fallback(error::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::reject_cross_site,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::headers,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(64 * 1024))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            error::panic_response,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            trace::trace,
        ))
        .with_state(state)
}
