//! The optional TOML file (`--config` / CALLREC_CONFIG): the long flag
//! names with underscores. Read once, by [`super::Config::read`].

use crate::error::CliError;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The TOML file: the long flag names with underscores.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileSettings {
    pub(super) data_dir: Option<PathBuf>,
    pub(super) database_url: Option<String>,
    pub(super) database_connections: Option<u32>,
    pub(super) listen: Option<String>,
    pub(super) public_url: Option<String>,
    pub(super) trusted_proxies: Option<String>,
    pub(super) session_idle_minutes: Option<i64>,
    pub(super) session_absolute_hours: Option<i64>,
    pub(super) argon2_memory_kib: Option<u32>,
    pub(super) argon2_iterations: Option<u32>,
    pub(super) argon2_parallelism: Option<u32>,
    pub(super) signin_account_limit: Option<i64>,
    pub(super) signin_client_limit: Option<i64>,
    pub(super) signin_window_minutes: Option<i64>,
    pub(super) mfa_issuer: Option<String>,
    pub(super) mfa_attempt_limit: Option<i64>,
    pub(super) mfa_hourly_limit: Option<i64>,
    pub(super) mfa_lock_minutes: Option<i64>,
    pub(super) max_upload_mb: Option<u64>,
    pub(super) api_rate_limit: Option<i64>,
    pub(super) orphan_grace_seconds: Option<u64>,
    pub(super) temporary_password_hours: Option<i64>,
    pub(super) smtp_url: Option<String>,
    pub(super) mail_from: Option<String>,
    pub(super) default_time_zone: Option<String>,
    pub(super) default_country: Option<String>,
    pub(super) default_retention: Option<String>,
    pub(super) deleted_retention_days: Option<u32>,
    pub(super) bulk_download_max: Option<u32>,
    pub(super) retention_notice_days: Option<u32>,
    pub(super) audio_store: Option<String>,
    pub(super) s3_endpoint: Option<String>,
    pub(super) s3_region: Option<String>,
    pub(super) metrics_listen: Option<String>,
    pub(super) siprec_listen: Option<String>,
    pub(super) siprec_tls_listen: Option<String>,
    pub(super) siprec_tls_cert: Option<std::path::PathBuf>,
    pub(super) siprec_tls_key: Option<std::path::PathBuf>,
    pub(super) rtp_ports: Option<String>,
    pub(super) capture_max_calls: Option<usize>,
    pub(super) capture_max_hours: Option<u64>,
    pub(super) capture_invites_per_second: Option<u32>,
    pub(super) transcribe_url: Option<String>,
    pub(super) transcribe_model: Option<String>,
    pub(super) transcribe_concurrency: Option<usize>,
    pub(super) transcribe_language: Option<String>,
    pub(super) transcribe_timeout_seconds: Option<u64>,
    pub(super) shutdown_seconds: Option<u64>,
    pub(super) dormant_days: Option<i64>,
    pub(super) header_timeout_seconds: Option<u64>,
    pub(super) body_timeout_seconds: Option<u64>,
}

pub(super) fn read_file(path: Option<&Path>) -> Result<FileSettings, CliError> {
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
