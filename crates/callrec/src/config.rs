//! Settings from flags, environment, an optional TOML file and defaults.

use crate::cli::{GlobalArgs, ServeArgs};
use crate::error::CliError;
use callrec_app::bootstrap::BootstrapAdmin;
use callrec_app::mail::MailSettings;
use callrec_app::records::RecordsSettings;
use callrec_app::Argon2Settings;
use callrec_domain::network::TrustedProxies;
use callrec_domain::retention::Retention;
use callrec_domain::zone::Zone;
use callrec_domain::{NewPassword, Username};
use callrec_store::{AudioLocation, SessionTimeouts, ThrottleWindow};
use callrec_web::server::ConnectionTimeouts;
use callrec_web::{MfaSettings, WebConfig};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The TOML file: the long flag names with underscores.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    database_connections: Option<u32>,
    listen: Option<String>,
    public_url: Option<String>,
    trusted_proxies: Option<String>,
    session_idle_minutes: Option<i64>,
    session_absolute_hours: Option<i64>,
    argon2_memory_kib: Option<u32>,
    argon2_iterations: Option<u32>,
    argon2_parallelism: Option<u32>,
    signin_account_limit: Option<i64>,
    signin_client_limit: Option<i64>,
    signin_window_minutes: Option<i64>,
    mfa_issuer: Option<String>,
    mfa_attempt_limit: Option<i64>,
    mfa_hourly_limit: Option<i64>,
    mfa_lock_minutes: Option<i64>,
    max_upload_mb: Option<u64>,
    api_rate_limit: Option<i64>,
    orphan_grace_seconds: Option<u64>,
    temporary_password_hours: Option<i64>,
    smtp_url: Option<String>,
    mail_from: Option<String>,
    default_time_zone: Option<String>,
    default_retention: Option<String>,
    deleted_retention_days: Option<u32>,
    bulk_download_max: Option<u32>,
    retention_notice_days: Option<u32>,
    audio_store: Option<String>,
    s3_endpoint: Option<String>,
    s3_region: Option<String>,
    metrics_listen: Option<String>,
    shutdown_seconds: Option<u64>,
    dormant_days: Option<i64>,
    header_timeout_seconds: Option<u64>,
    body_timeout_seconds: Option<u64>,
}

/// Where the data lives: what every command needs.
#[derive(Debug, Clone)]
pub struct StorageSettings {
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    pub database_connections: u32,
    pub audio: AudioLocation,
}

/// More connections than this per pool is a typo, not a setting (PostgreSQL
/// allows 100 in all by default).
const MAX_DATABASE_CONNECTIONS: u32 = 1000;

/// What `serve` needs on top.
#[derive(Debug, Clone)]
pub struct ServeSettings {
    pub listen: SocketAddr,
    pub metrics_listen: Option<SocketAddr>,
    pub web: WebConfig,
    pub orphan_grace_seconds: u64,
    pub timeouts: ConnectionTimeouts,
    /// The first administrator, made on an empty database.
    pub admin: BootstrapAdmin,
}

fn read_file(path: Option<&Path>) -> Result<FileSettings, CliError> {
    let Some(path) = path else {
        return Ok(FileSettings::default());
    };
    let text = std::fs::read_to_string(path).map_err(|err| {
        CliError::Usage(format!(
            "cannot read the config file {}: {err}",
            path.display()
        ))
    })?;
    toml::from_str(&text).map_err(|err| {
        CliError::Usage(format!(
            "the config file {} is not valid: {err}",
            path.display()
        ))
    })
}

pub fn storage(global: &GlobalArgs) -> Result<StorageSettings, CliError> {
    let file = read_file(global.config.as_deref())?;
    let audio = audio_location(global, &file)?;
    let database_url = global
        .database_url
        .clone()
        .or(file.database_url)
        .filter(|url| !url.trim().is_empty());
    let database_connections = positive(
        global.database_connections.or(file.database_connections),
        callrec_store::DEFAULT_CONNECTIONS,
        "--database-connections / CALLREC_DATABASE_CONNECTIONS",
    )?;
    if database_connections > MAX_DATABASE_CONNECTIONS {
        return Err(CliError::Usage(format!(
            "--database-connections / CALLREC_DATABASE_CONNECTIONS must be at most \
             {MAX_DATABASE_CONNECTIONS} (got {database_connections})"
        )));
    }
    Ok(StorageSettings {
        data_dir: global
            .data_dir
            .clone()
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("./data")),
        database_url,
        database_connections,
        audio,
    })
}

/// CALLREC_AUDIO_STORE with CALLREC_S3_ENDPOINT and CALLREC_S3_REGION.
fn audio_location(global: &GlobalArgs, file: &FileSettings) -> Result<AudioLocation, CliError> {
    let text = global
        .audio_store
        .clone()
        .or(file.audio_store.clone())
        .filter(|text| !text.trim().is_empty());
    match text {
        None => Ok(AudioLocation::DataDir),
        Some(text) => located(global, file, &text, "--audio-store / CALLREC_AUDIO_STORE"),
    }
}

/// `callrec audio migrate --to URL`: URL with the same S3 settings.
pub fn audio_target(global: &GlobalArgs, url: &str) -> Result<AudioLocation, CliError> {
    let file = read_file(global.config.as_deref())?;
    located(global, &file, url, "--to")
}

fn located(
    global: &GlobalArgs,
    file: &FileSettings,
    text: &str,
    name: &str,
) -> Result<AudioLocation, CliError> {
    let mut location =
        AudioLocation::parse(text).map_err(|err| CliError::Usage(format!("{name}: {err}")))?;
    if let AudioLocation::S3(s3) = &mut location {
        s3.endpoint = global
            .s3_endpoint
            .clone()
            .or(file.s3_endpoint.clone())
            .filter(|e| !e.trim().is_empty());
        if let Some(endpoint) = &s3.endpoint {
            if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
                return Err(CliError::Usage(format!(
                    "--s3-endpoint / CALLREC_S3_ENDPOINT {endpoint:?} must start with http:// or https://"
                )));
            }
        }
        s3.region = global
            .s3_region
            .clone()
            .or(file.s3_region.clone())
            .filter(|r| !r.trim().is_empty());
    }
    Ok(location)
}

fn positive<T: PartialOrd + Default + std::fmt::Display + Copy>(
    value: Option<T>,
    default: T,
    name: &str,
) -> Result<T, CliError> {
    let value = value.unwrap_or(default);
    if value <= T::default() {
        return Err(CliError::Usage(format!(
            "{name} must be greater than zero (got {value})"
        )));
    }
    Ok(value)
}

/// Whether the portal sends mail (CALLREC_SMTP_URL is set), for commands
/// that queue a notice for it.
pub fn mail_configured() -> bool {
    std::env::var("CALLREC_SMTP_URL").is_ok_and(|url| !url.trim().is_empty())
}

/// CALLREC_SMTP_URL with CALLREC_MAIL_FROM, or no mail at all.
fn mail_settings(
    url: Option<String>,
    from: Option<String>,
) -> Result<Option<MailSettings>, CliError> {
    let url = url.filter(|u| !u.trim().is_empty());
    let from = from.filter(|f| !f.trim().is_empty());
    match (url, from) {
        (None, None) => Ok(None),
        (None, Some(_)) => Err(CliError::Usage(
            "CALLREC_MAIL_FROM is set but CALLREC_SMTP_URL is not: set both, or neither".into(),
        )),
        (Some(_), None) => Err(CliError::Usage(
            "CALLREC_SMTP_URL needs CALLREC_MAIL_FROM, e.g. \"Call Recording <calls@example.com>\""
                .into(),
        )),
        (Some(url), Some(from)) => MailSettings::parse(&url, &from)
            .map(Some)
            .map_err(CliError::Usage),
    }
}

/// CALLREC_TEMPORARY_PASSWORD_HOURS: 1 to 8,760 (a year), default 72.
/// CALLREC_DEFAULT_TIME_ZONE: the zone of companies that chose none.
pub fn default_time_zone(global: &GlobalArgs) -> Result<Zone, CliError> {
    let file = read_file(global.config.as_deref())?;
    match global.default_time_zone.clone().or(file.default_time_zone) {
        Some(name) => Zone::parse(&name).map_err(|_| {
            CliError::Usage(format!(
                "--default-time-zone / CALLREC_DEFAULT_TIME_ZONE {name:?} is not a time zone; \
                 use an IANA name such as Europe/London or UTC"
            ))
        }),
        None => Ok(Zone::utc()),
    }
}

/// The most recordings one ZIP may hold.
const MAX_BULK_DOWNLOAD: u32 = 10_000;

/// Retention, Deleted recordings and bulk download settings.
pub fn records(global: &GlobalArgs) -> Result<RecordsSettings, CliError> {
    let file = read_file(global.config.as_deref())?;
    let defaults = RecordsSettings::default();
    let default_retention = match global.default_retention.clone().or(file.default_retention) {
        Some(text) => Retention::parse_setting(&text).map_err(|err| {
            CliError::Usage(format!(
                "--default-retention / CALLREC_DEFAULT_RETENTION: {}",
                err.message
            ))
        })?,
        None => defaults.default_retention,
    };
    Ok(RecordsSettings {
        default_retention,
        deleted_days: positive(
            global
                .deleted_retention_days
                .or(file.deleted_retention_days),
            defaults.deleted_days,
            "--deleted-retention-days / CALLREC_DELETED_RETENTION_DAYS",
        )?,
        bulk_download_max: match positive(
            global.bulk_download_max.or(file.bulk_download_max),
            defaults.bulk_download_max,
            "--bulk-download-max / CALLREC_BULK_DOWNLOAD_MAX",
        )? {
            // The ids of a selection are bound in one statement: SQLite
            // takes at most 32,766 values.
            max if max > MAX_BULK_DOWNLOAD => {
                return Err(CliError::Usage(format!(
                    "--bulk-download-max / CALLREC_BULK_DOWNLOAD_MAX must be at most {MAX_BULK_DOWNLOAD} (got {max})"
                )))
            }
            max => max,
        },
        retention_notice_days: match global
            .retention_notice_days
            .or(file.retention_notice_days)
        {
            Some(days) if days > 365 => {
                return Err(CliError::Usage(format!(
                    "--retention-notice-days / CALLREC_RETENTION_NOTICE_DAYS must be from 0 to 365 (got {days})"
                )))
            }
            Some(days) => days,
            None => defaults.retention_notice_days,
        },
    })
}

pub fn temporary_password_hours(global: &GlobalArgs) -> Result<i64, CliError> {
    let file = read_file(global.config.as_deref())?;
    let name = "--temporary-password-hours / CALLREC_TEMPORARY_PASSWORD_HOURS";
    let hours = positive(
        global
            .temporary_password_hours
            .or(file.temporary_password_hours),
        72,
        name,
    )?;
    if hours > 8760 {
        return Err(CliError::Usage(format!(
            "{name} must be at most 8760 (a year; got {hours})"
        )));
    }
    Ok(hours)
}

/// The issuer appears in authenticator apps and in the otpauth URI, where a
/// colon would split it.
fn issuer(value: Option<String>) -> Result<String, CliError> {
    let issuer = value.unwrap_or_else(|| MfaSettings::default().issuer);
    let issuer = issuer.trim().to_string();
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

pub fn serve(global: &GlobalArgs, args: &ServeArgs) -> Result<ServeSettings, CliError> {
    let file = read_file(global.config.as_deref())?;
    let listen_text = args
        .listen
        .clone()
        .or(file.listen)
        .unwrap_or_else(|| "127.0.0.1:8080".to_string());
    let listen = listen_text.parse().map_err(|_| {
        CliError::Usage(format!(
            "--listen / CALLREC_LISTEN must be an address and port like 127.0.0.1:8080 (got {listen_text:?})"
        ))
    })?;
    let metrics_listen = match args
        .metrics_listen
        .clone()
        .or(file.metrics_listen)
        .filter(|text| !text.trim().is_empty())
    {
        Some(text) => Some(text.parse().map_err(|_| {
            CliError::Usage(format!(
                "--metrics-listen / CALLREC_METRICS_LISTEN must be an address and port like 127.0.0.1:9464 (got {text:?})"
            ))
        })?),
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
        .or(file.public_url)
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
        15,
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
    let mail = mail_settings(
        args.smtp_url.clone().or(file.smtp_url),
        args.mail_from.clone().or(file.mail_from),
    )?;
    if mail.is_some() && public_url.is_none() {
        // Links in mails (password resets) must carry the address users
        // type, not this node's listening address.
        return Err(CliError::Usage(
            "mail is on (--smtp-url / CALLREC_SMTP_URL) but --public-url / CALLREC_PUBLIC_URL is not set: \
             set it to the address users type, e.g. https://calls.example.com, so links in mails work"
                .into(),
        ));
    }
    let web = WebConfig {
        public_url,
        trusted_proxies,
        temporary_password_hours: temporary_password_hours(global)?,
        mail,
        link_base: None,
        dormant_days: match args.dormant_days.or(file.dormant_days) {
            Some(days) => Some(positive(
                Some(days),
                1,
                "--dormant-days / CALLREC_DORMANT_DAYS",
            )?),
            None => None,
        },
        default_time_zone: default_time_zone(global)?,
        records: records(global)?,
        session: SessionTimeouts {
            idle: positive(
                args.session_idle_minutes.or(file.session_idle_minutes),
                30,
                "--session-idle-minutes",
            )? * 60,
            absolute: positive(
                args.session_absolute_hours.or(file.session_absolute_hours),
                12,
                "--session-absolute-hours",
            )? * 3600,
        },
        argon2: Argon2Settings {
            memory_kib: positive(
                args.argon2_memory_kib.or(file.argon2_memory_kib),
                19 * 1024,
                "--argon2-memory-kib",
            )?,
            iterations: positive(
                args.argon2_iterations.or(file.argon2_iterations),
                2,
                "--argon2-iterations",
            )?,
            parallelism: positive(
                args.argon2_parallelism.or(file.argon2_parallelism),
                1,
                "--argon2-parallelism",
            )?,
        },
        sign_in_per_account: ThrottleWindow {
            seconds: window,
            limit: positive(
                args.signin_account_limit.or(file.signin_account_limit),
                10,
                "--signin-account-limit",
            )?,
        },
        sign_in_per_client: ThrottleWindow {
            seconds: window,
            limit: positive(
                args.signin_client_limit.or(file.signin_client_limit),
                100,
                "--signin-client-limit",
            )?,
        },
        mfa: MfaSettings {
            issuer: issuer(args.mfa_issuer.clone().or(file.mfa_issuer))?,
            attempt_limit: positive(
                args.mfa_attempt_limit.or(file.mfa_attempt_limit),
                5,
                "--mfa-attempt-limit",
            )?,
            hourly_limit: positive(
                args.mfa_hourly_limit.or(file.mfa_hourly_limit),
                20,
                "--mfa-hourly-limit",
            )?,
            lock_seconds: positive(
                args.mfa_lock_minutes.or(file.mfa_lock_minutes),
                15,
                "--mfa-lock-minutes",
            )? * 60,
        },
        max_upload_bytes: positive(
            args.max_upload_mb.or(file.max_upload_mb),
            200,
            "--max-upload-mb",
        )? * 1000
            * 1000,
        api_per_token: ThrottleWindow {
            seconds: 60,
            limit: positive(
                args.api_rate_limit.or(file.api_rate_limit),
                600,
                "--api-rate-limit / CALLREC_API_RATE_LIMIT",
            )?,
        },
    };
    let timeouts = ConnectionTimeouts {
        header: Duration::from_secs(positive(
            args.header_timeout_seconds.or(file.header_timeout_seconds),
            10,
            "--header-timeout-seconds",
        )?),
        body: Duration::from_secs(positive(
            args.body_timeout_seconds.or(file.body_timeout_seconds),
            30,
            "--body-timeout-seconds",
        )?),
        shutdown: Duration::from_secs(positive(
            args.shutdown_seconds.or(file.shutdown_seconds),
            30,
            "--shutdown-seconds / CALLREC_SHUTDOWN_SECONDS",
        )?),
    };
    Ok(ServeSettings {
        listen,
        metrics_listen,
        web,
        timeouts,
        admin: bootstrap_admin()?,
        orphan_grace_seconds: args
            .orphan_grace_seconds
            .or(file.orphan_grace_seconds)
            .unwrap_or(60),
    })
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
