//! The one source of settings: flags over environment (both through
//! clap) over the TOML file over defaults, read once into [`Config`].
//! Every default is written once, in the type that uses it
//! (`WebConfig::default()`, `RecordsSettings::default()`,
//! `ConnectionTimeouts::default()`, or a constant here), and the README's
//! table is checked against them (`tests` below).

mod capture;
mod file;
mod serve;
mod transcription;

pub use serve::ServeSettings;

use crate::cli::GlobalArgs;
use crate::error::CliError;
use callrec_app::mail::MailSettings;
use callrec_app::records::RecordsSettings;
use callrec_domain::country::Country;
use callrec_domain::retention::Retention;
use callrec_domain::zone::Zone;
use callrec_store::AudioLocation;
use callrec_web::WebConfig;
use file::FileSettings;
use std::path::PathBuf;

/// Where the data lives unless `--data-dir` says otherwise.
const DEFAULT_DATA_DIR: &str = "./data";

/// More connections than this per pool is a typo, not a setting (PostgreSQL
/// allows 100 in all by default).
const MAX_DATABASE_CONNECTIONS: u32 = 1000;

/// The most recordings one ZIP may hold.
const MAX_BULK_DOWNLOAD: u32 = 10_000;

/// The settings as given: the global flags (and their environment
/// variables) and the TOML file, read once.
pub struct Config {
    global: GlobalArgs,
    file: FileSettings,
}

/// Where the data lives: what every command needs.
#[derive(Debug, Clone)]
pub struct StorageSettings {
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    pub database_connections: u32,
    pub audio: AudioLocation,
}

impl Config {
    /// Reads the TOML file named by `--config` / CALLREC_CONFIG, if any.
    pub fn read(global: GlobalArgs) -> Result<Config, CliError> {
        let file = file::read_file(global.config.as_deref())?;
        Ok(Config { global, file })
    }

    pub fn storage(&self) -> Result<StorageSettings, CliError> {
        let (global, file) = (&self.global, &self.file);
        let database_url = global
            .database_url
            .clone()
            .or(file.database_url.clone())
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
        let audio = match global
            .audio_store
            .clone()
            .or(file.audio_store.clone())
            .filter(|text| !text.trim().is_empty())
        {
            None => AudioLocation::DataDir,
            Some(text) => self.located(&text, "--audio-store / CALLREC_AUDIO_STORE")?,
        };
        Ok(StorageSettings {
            data_dir: global
                .data_dir
                .clone()
                .or(file.data_dir.clone())
                .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR)),
            database_url,
            database_connections,
            audio,
        })
    }

    /// `callrec audio migrate --to URL`: URL with the same S3 settings.
    pub fn audio_target(&self, url: &str) -> Result<AudioLocation, CliError> {
        self.located(url, "--to")
    }

    fn located(&self, text: &str, name: &str) -> Result<AudioLocation, CliError> {
        let (global, file) = (&self.global, &self.file);
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

    /// CALLREC_SMTP_URL with CALLREC_MAIL_FROM, or no mail at all: the
    /// portal's, and the notices commands queue for it.
    pub fn mail(&self) -> Result<Option<MailSettings>, CliError> {
        let pick = |flag: &Option<String>, file: &Option<String>| {
            flag.clone()
                .or(file.clone())
                .filter(|value| !value.trim().is_empty())
        };
        let url = pick(&self.global.smtp_url, &self.file.smtp_url);
        let from = pick(&self.global.mail_from, &self.file.mail_from);
        match (url, from) {
            (None, None) => Ok(None),
            (None, Some(_)) => Err(CliError::Usage(
                "CALLREC_MAIL_FROM is set but CALLREC_SMTP_URL is not: set both, or neither"
                    .into(),
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

    /// CALLREC_DEFAULT_TIME_ZONE: the zone of companies that chose none.
    pub fn default_time_zone(&self) -> Result<Zone, CliError> {
        let name = self
            .global
            .default_time_zone
            .clone()
            .or(self.file.default_time_zone.clone());
        match name {
            Some(name) => Zone::parse(&name).map_err(|_| {
                CliError::Usage(format!(
                    "--default-time-zone / CALLREC_DEFAULT_TIME_ZONE {name:?} is not a time zone; \
                     use an IANA name such as Europe/London or UTC"
                ))
            }),
            None => Ok(WebConfig::default().default_time_zone),
        }
    }

    /// CALLREC_DEFAULT_COUNTRY: the phone-number country of companies
    /// that chose none.
    pub fn default_country(&self) -> Result<Country, CliError> {
        let code = self
            .global
            .default_country
            .clone()
            .or(self.file.default_country.clone());
        match code {
            Some(code) => Country::parse("country", &code).map_err(|_| {
                CliError::Usage(format!(
                    "--default-country / CALLREC_DEFAULT_COUNTRY {code:?} is not a country; \
                     use a two-letter code such as GB, US or DE"
                ))
            }),
            None => Ok(WebConfig::default().default_country),
        }
    }

    /// Retention, Deleted recordings and bulk download settings.
    pub fn records(&self) -> Result<RecordsSettings, CliError> {
        let (global, file) = (&self.global, &self.file);
        let defaults = RecordsSettings::default();
        let default_retention = match global
            .default_retention
            .clone()
            .or(file.default_retention.clone())
        {
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

    /// CALLREC_TEMPORARY_PASSWORD_HOURS: 1 to 8,760 (a year).
    pub fn temporary_password_hours(&self) -> Result<i64, CliError> {
        let name = "--temporary-password-hours / CALLREC_TEMPORARY_PASSWORD_HOURS";
        let hours = positive(
            self.global
                .temporary_password_hours
                .or(self.file.temporary_password_hours),
            WebConfig::default().temporary_password_hours,
            name,
        )?;
        if hours > 8760 {
            return Err(CliError::Usage(format!(
                "{name} must be at most 8760 (a year; got {hours})"
            )));
        }
        Ok(hours)
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    /// The README's default for the setting whose row names `name` first.
    fn documented(name: &str) -> String {
        let readme = include_str!("../../../../README.md");
        readme
            .lines()
            .find(|line| line.starts_with(&format!("| `{name}`")))
            .and_then(|line| line.split('|').nth(2))
            .map(|cell| cell.trim().replace('`', ""))
            .unwrap_or_else(|| panic!("{name} is not in the README's settings table"))
    }

    #[test]
    fn every_default_is_the_documented_one() {
        // No flag, no file: what the environment does not set is a default.
        let cli = Cli::try_parse_from(["callrec", "serve"]).unwrap();
        let Command::Serve(args) = cli.command else {
            unreachable!("parsed as serve")
        };
        let config = Config::read(cli.global).unwrap();
        let storage = config.storage().unwrap();
        let serve = config.serve(&args).unwrap();
        let web = &serve.web;
        let argon2 = &web.argon2;
        let mfa = &web.mfa;
        let cases = [
            ("CALLREC_DATA_DIR", storage.data_dir.display().to_string()),
            (
                "CALLREC_DATABASE_CONNECTIONS",
                storage.database_connections.to_string(),
            ),
            ("CALLREC_LISTEN", serve.listen.to_string()),
            (
                "CALLREC_TEMPORARY_PASSWORD_HOURS",
                web.temporary_password_hours.to_string(),
            ),
            (
                "CALLREC_DEFAULT_TIME_ZONE",
                web.default_time_zone.name().to_string(),
            ),
            (
                "CALLREC_DEFAULT_COUNTRY",
                web.default_country.code().to_string(),
            ),
            (
                "CALLREC_DEFAULT_RETENTION",
                web.records.default_retention.code(),
            ),
            (
                "CALLREC_RETENTION_NOTICE_DAYS",
                web.records.retention_notice_days.to_string(),
            ),
            (
                "CALLREC_DELETED_RETENTION_DAYS",
                web.records.deleted_days.to_string(),
            ),
            (
                "CALLREC_BULK_DOWNLOAD_MAX",
                web.records.bulk_download_max.to_string(),
            ),
            (
                "CALLREC_SESSION_IDLE_MINUTES",
                (web.session.idle / 60).to_string(),
            ),
            (
                "CALLREC_SESSION_ABSOLUTE_HOURS",
                (web.session.absolute / 3600).to_string(),
            ),
            (
                "CALLREC_ARGON2_MEMORY_KIB",
                format!(
                    "{}, {}, {}",
                    argon2.memory_kib, argon2.iterations, argon2.parallelism
                ),
            ),
            (
                "CALLREC_SIGNIN_ACCOUNT_LIMIT",
                format!(
                    "{}, {}, {}",
                    web.sign_in_per_account.limit,
                    web.sign_in_per_client.limit,
                    web.sign_in_per_account.seconds / 60
                ),
            ),
            ("CALLREC_MFA_ISSUER", mfa.issuer.clone()),
            (
                "CALLREC_MFA_ATTEMPT_LIMIT",
                format!(
                    "{}, {}, {}",
                    mfa.attempt_limit,
                    mfa.hourly_limit,
                    mfa.lock_seconds / 60
                ),
            ),
            (
                "CALLREC_SHUTDOWN_SECONDS",
                serve.timeouts.shutdown.as_secs().to_string(),
            ),
            (
                "CALLREC_MAX_UPLOAD_MB",
                (web.max_upload_bytes / 1_000_000).to_string(),
            ),
            (
                "CALLREC_API_RATE_LIMIT",
                web.api_per_token.limit.to_string(),
            ),
            (
                "CALLREC_ORPHAN_GRACE_SECONDS",
                serve.orphan_grace_seconds.to_string(),
            ),
            (
                "CALLREC_HEADER_TIMEOUT_SECONDS",
                serve.timeouts.header.as_secs().to_string(),
            ),
            (
                "CALLREC_BODY_TIMEOUT_SECONDS",
                serve.timeouts.body.as_secs().to_string(),
            ),
        ];
        for (name, actual) in cases {
            assert_eq!(documented(name), actual, "{name}");
        }
        // Off unless set.
        assert!(web.mail.is_none() && web.public_url.is_none());
        assert!(serve.metrics_listen.is_none() && web.dormant_days.is_none());
        assert_eq!(documented("CALLREC_DORMANT_DAYS"), "off");
        assert_eq!(documented("CALLREC_METRICS_LISTEN"), "off");
    }

    #[test]
    fn mail_from_the_file_counts_for_every_command() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("callrec.toml");
        std::fs::write(
            &path,
            "smtp_url = \"smtp://127.0.0.1:2525\"\nmail_from = \"Calls <calls@example.com>\"\n",
        )
        .unwrap();
        let config_arg = path.display().to_string();
        let cli =
            Cli::try_parse_from(["callrec", "--config", &config_arg, "user", "list"]).unwrap();
        let config = Config::read(cli.global).unwrap();
        assert!(
            config.mail().unwrap().is_some(),
            "user reset-mfa queues its notice"
        );
    }
}
