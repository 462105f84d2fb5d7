//! What `serve` needs on top of the storage: the web's settings, its
//! addresses and timeouts, and the first administrator.

use super::{positive, Config};
use crate::cli::ServeArgs;
use crate::error::CliError;
use callrec_app::bootstrap::BootstrapAdmin;
use callrec_app::Argon2Settings;
use callrec_capture::CaptureSettings;
use callrec_domain::network::TrustedProxies;
use callrec_domain::{NewPassword, Username};
use callrec_store::{SessionTimeouts, ThrottleWindow};
use callrec_web::server::ConnectionTimeouts;
use callrec_web::{MfaSettings, WebConfig};
use std::net::SocketAddr;
use std::time::Duration;

/// Where the portal listens unless `--listen` says otherwise.
pub(super) const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// How old audio an upload left without its row must be before start-up
/// removes it (seconds).
pub(super) const DEFAULT_ORPHAN_GRACE_SECONDS: u64 = 60;

/// What `serve` needs on top.
#[derive(Debug, Clone)]
pub struct ServeSettings {
    pub listen: SocketAddr,
    pub metrics_listen: Option<SocketAddr>,
    /// The SIPREC recording server, when `CALLREC_SIPREC_LISTEN` is set.
    pub capture: Option<CaptureSettings>,
    pub web: WebConfig,
    pub orphan_grace_seconds: u64,
    pub timeouts: ConnectionTimeouts,
    /// The first administrator, made on an empty database.
    pub admin: BootstrapAdmin,
}

/// The issuer appears in authenticator apps and in the otpauth URI, where a
/// colon would split it.
fn issuer(value: Option<String>, default: String) -> Result<String, CliError> {
    let issuer = value.unwrap_or(default).trim().to_string();
    if issuer.is_empty()
        || issuer.len() > 64
        || issuer.contains(':')
        || issuer.chars().any(char::is_control)
    {
        return Err(CliError::Usage(
            "--mfa-issuer / CALLREC_MFA_ISSUER must be 1 to 64 characters without a colon".into(),
        ));
    }
    Ok(issuer)
}

fn address(text: &str, name: &str, example: &str) -> Result<SocketAddr, CliError> {
    text.parse().map_err(|_| {
        CliError::Usage(format!(
            "{name} must be an address and port like {example} (got {text:?})"
        ))
    })
}

impl Config {
    /// Checked before the database is touched.
    pub fn serve(&self, args: &ServeArgs) -> Result<ServeSettings, CliError> {
        let file = &self.file;
        let defaults = WebConfig::default();
        let listen_text = args
            .listen
            .clone()
            .or(file.listen.clone())
            .unwrap_or_else(|| DEFAULT_LISTEN.to_string());
        let listen = address(&listen_text, "--listen / CALLREC_LISTEN", DEFAULT_LISTEN)?;
        let metrics_listen = match args
            .metrics_listen
            .clone()
            .or(file.metrics_listen.clone())
            .filter(|text| !text.trim().is_empty())
        {
            Some(text) => Some(address(
                &text,
                "--metrics-listen / CALLREC_METRICS_LISTEN",
                "127.0.0.1:9464",
            )?),
            None => None,
        };
        if metrics_listen.is_some() && metrics_listen == Some(listen) {
            return Err(CliError::Usage(
                "--metrics-listen / CALLREC_METRICS_LISTEN must differ from --listen: metrics stay off the portal's port".into(),
            ));
        }
        let public_url = args
            .public_url
            .clone()
            .or(file.public_url.clone())
            .filter(|u| !u.is_empty());
        if let Some(url) = &public_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(CliError::Usage(format!(
                    "--public-url / CALLREC_PUBLIC_URL must start with http:// or https:// (got {url:?})"
                )));
            }
        }
        let window = positive(
            args.signin_window_minutes.or(file.signin_window_minutes),
            defaults.sign_in_per_account.seconds / 60,
            "--signin-window-minutes",
        )? * 60;
        let trusted_proxies = TrustedProxies::parse(
            args.trusted_proxies
                .as_deref()
                .or(file.trusted_proxies.as_deref())
                .unwrap_or(""),
        )
        .map_err(|err| {
            CliError::Usage(format!(
                "--trusted-proxies / CALLREC_TRUSTED_PROXIES: {}",
                err.message
            ))
        })?;
        let mail = self.mail()?;
        if mail.is_some() && public_url.is_none() {
            // Links in mails (password resets) must carry the address users
            // type, not this node's listening address.
            return Err(CliError::Usage(
                "mail is on (--smtp-url / CALLREC_SMTP_URL) but --public-url / CALLREC_PUBLIC_URL is not set: \
                 set it to the address users type, e.g. https://calls.example.com, so links in mails work"
                    .into(),
            ));
        }
        let mfa = &defaults.mfa;
        let argon2 = &defaults.argon2;
        let web = WebConfig {
            public_url,
            trusted_proxies,
            temporary_password_hours: self.temporary_password_hours()?,
            mail,
            link_base: None,
            dormant_days: match args.dormant_days.or(file.dormant_days) {
                Some(days) => Some(positive(
                    Some(days),
                    1,
                    "--dormant-days / CALLREC_DORMANT_DAYS",
                )?),
                None => defaults.dormant_days,
            },
            default_time_zone: self.default_time_zone()?,
            default_country: self.default_country()?,
            records: self.records()?,
            transcription: self.transcription(args)?,
            session: SessionTimeouts {
                idle: positive(
                    args.session_idle_minutes.or(file.session_idle_minutes),
                    defaults.session.idle / 60,
                    "--session-idle-minutes",
                )? * 60,
                absolute: positive(
                    args.session_absolute_hours.or(file.session_absolute_hours),
                    defaults.session.absolute / 3600,
                    "--session-absolute-hours",
                )? * 3600,
            },
            argon2: Argon2Settings {
                memory_kib: positive(
                    args.argon2_memory_kib.or(file.argon2_memory_kib),
                    argon2.memory_kib,
                    "--argon2-memory-kib",
                )?,
                iterations: positive(
                    args.argon2_iterations.or(file.argon2_iterations),
                    argon2.iterations,
                    "--argon2-iterations",
                )?,
                parallelism: positive(
                    args.argon2_parallelism.or(file.argon2_parallelism),
                    argon2.parallelism,
                    "--argon2-parallelism",
                )?,
            },
            sign_in_per_account: ThrottleWindow {
                seconds: window,
                limit: positive(
                    args.signin_account_limit.or(file.signin_account_limit),
                    defaults.sign_in_per_account.limit,
                    "--signin-account-limit",
                )?,
            },
            sign_in_per_client: ThrottleWindow {
                seconds: window,
                limit: positive(
                    args.signin_client_limit.or(file.signin_client_limit),
                    defaults.sign_in_per_client.limit,
                    "--signin-client-limit",
                )?,
            },
            mfa: MfaSettings {
                issuer: issuer(
                    args.mfa_issuer.clone().or(file.mfa_issuer.clone()),
                    mfa.issuer.clone(),
                )?,
                attempt_limit: positive(
                    args.mfa_attempt_limit.or(file.mfa_attempt_limit),
                    mfa.attempt_limit,
                    "--mfa-attempt-limit",
                )?,
                hourly_limit: positive(
                    args.mfa_hourly_limit.or(file.mfa_hourly_limit),
                    mfa.hourly_limit,
                    "--mfa-hourly-limit",
                )?,
                lock_seconds: positive(
                    args.mfa_lock_minutes.or(file.mfa_lock_minutes),
                    mfa.lock_seconds / 60,
                    "--mfa-lock-minutes",
                )? * 60,
            },
            max_upload_bytes: positive(
                args.max_upload_mb.or(file.max_upload_mb),
                defaults.max_upload_bytes / 1_000_000,
                "--max-upload-mb",
            )? * 1_000_000,
            api_per_token: ThrottleWindow {
                seconds: defaults.api_per_token.seconds,
                limit: positive(
                    args.api_rate_limit.or(file.api_rate_limit),
                    defaults.api_per_token.limit,
                    "--api-rate-limit / CALLREC_API_RATE_LIMIT",
                )?,
            },
        };
        let timeouts = ConnectionTimeouts::default();
        let seconds = |value: Option<u64>, default: Duration, name: &str| {
            positive(value, default.as_secs(), name).map(Duration::from_secs)
        };
        let timeouts = ConnectionTimeouts {
            header: seconds(
                args.header_timeout_seconds.or(file.header_timeout_seconds),
                timeouts.header,
                "--header-timeout-seconds",
            )?,
            body: seconds(
                args.body_timeout_seconds.or(file.body_timeout_seconds),
                timeouts.body,
                "--body-timeout-seconds",
            )?,
            shutdown: seconds(
                args.shutdown_seconds.or(file.shutdown_seconds),
                timeouts.shutdown,
                "--shutdown-seconds / CALLREC_SHUTDOWN_SECONDS",
            )?,
        };
        Ok(ServeSettings {
            listen,
            metrics_listen,
            capture: self.capture(args)?,
            web,
            timeouts,
            admin: bootstrap_admin()?,
            orphan_grace_seconds: args
                .orphan_grace_seconds
                .or(file.orphan_grace_seconds)
                .unwrap_or(DEFAULT_ORPHAN_GRACE_SECONDS),
        })
    }
}

/// CALLREC_BOOTSTRAP_ADMIN_USERNAME (default `admin`) and
/// CALLREC_BOOTSTRAP_ADMIN_PASSWORD (default: a random one, shown once),
/// checked before anything starts.
fn bootstrap_admin() -> Result<BootstrapAdmin, CliError> {
    let mut admin = BootstrapAdmin::default();
    if let Ok(username) = std::env::var("CALLREC_BOOTSTRAP_ADMIN_USERNAME") {
        admin.username = Username::parse(&username).map_err(|err| {
            CliError::Usage(format!("CALLREC_BOOTSTRAP_ADMIN_USERNAME: {}", err.message))
        })?;
    }
    if let Some(password) = std::env::var("CALLREC_BOOTSTRAP_ADMIN_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty())
    {
        admin.password = Some(
            NewPassword::parse(&password, admin.username.as_str()).map_err(|err| {
                CliError::Usage(format!("CALLREC_BOOTSTRAP_ADMIN_PASSWORD: {}", err.message))
            })?,
        );
    }
    Ok(admin)
}
