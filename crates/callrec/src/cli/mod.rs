//! Command-line interface. Every setting can also come from the environment
//! (`CALLREC_*`) or the TOML file given with `--config`; flags win over the
//! environment, which wins over the file.

use clap::{Args, Parser, Subcommand};

mod admin;
mod capture;
mod records;
mod serve;

pub use admin::*;
pub use capture::*;
pub use records::*;
pub use serve::*;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "callrec",
    version,
    about = "Call Recording portal: find, play and download recorded calls, with multi-factor sign-in.",
    long_about = "Call Recording portal: find, play and download recorded calls, with multi-factor sign-in.\n\n\
        Settings come from flags, then CALLREC_* environment variables, then the TOML file given \
        with --config, then defaults. The TOML file takes the flag names with underscores, e.g. \
        data_dir = \"/var/lib/callrec\" or session_idle_minutes = 15.\n\n\
        MFA secrets are encrypted with the key in CALLREC_SECRET_KEY (base64 of 32 bytes; older \
        keys in CALLREC_SECRET_KEY_PREVIOUS, comma separated), or else with keys generated into \
        the file mfa-keys in the data directory (mode 0600). Several nodes must share the key.",
    after_help = "Start here: `callrec serve --demo` runs the portal with demo data and prints the address and logins."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// TOML file with settings (keys as the long flags, with underscores).
    #[arg(long, global = true, env = "CALLREC_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Folder for the SQLite database, audio and generated keys [default: ./data].
    #[arg(long, global = true, env = "CALLREC_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// postgres://… for PostgreSQL (several nodes); unset means SQLite in the data directory.
    #[arg(
        long,
        global = true,
        env = "CALLREC_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// Connections each process keeps to the database, per pool (one pool for
    /// page loads, one for everything else) [default: 8].
    #[arg(
        long,
        global = true,
        env = "CALLREC_DATABASE_CONNECTIONS",
        value_name = "N"
    )]
    pub database_connections: Option<u32>,
    /// Hours a password someone else set (Add user, Modify, `user add`,
    /// `user set-password`, the first administrator's printed one) stays
    /// good; its holder must choose their own at the next sign-in [default: 72].
    #[arg(
        long,
        global = true,
        env = "CALLREC_TEMPORARY_PASSWORD_HOURS",
        value_name = "HOURS"
    )]
    pub temporary_password_hours: Option<i64>,
    /// The time zone of companies that chose none (Company settings), an
    /// IANA name such as Europe/London [default: UTC].
    #[arg(
        long,
        global = true,
        env = "CALLREC_DEFAULT_TIME_ZONE",
        value_name = "ZONE"
    )]
    pub default_time_zone: Option<String>,
    /// The country whose national numbers (07700 900123) the Recordings
    /// filters read, for companies that chose none (Company settings →
    /// Country for phone numbers): a two-letter code [default: GB].
    #[arg(
        long,
        global = true,
        env = "CALLREC_DEFAULT_COUNTRY",
        value_name = "CODE"
    )]
    pub default_country: Option<String>,
    /// The retention of companies added from now on: forever, or a number
    /// of days, months or years such as "90 days", "6 months", "7 years"
    /// (Company settings → Retention changes it per company) [default: forever].
    #[arg(
        long,
        global = true,
        env = "CALLREC_DEFAULT_RETENTION",
        value_name = "PERIOD"
    )]
    pub default_retention: Option<String>,
    /// Days a deleted recording stays in Deleted recordings, where it can
    /// be restored, before the purge job removes it [default: 30].
    #[arg(
        long,
        global = true,
        env = "CALLREC_DELETED_RETENTION_DAYS",
        value_name = "DAYS"
    )]
    pub deleted_retention_days: Option<u32>,
    /// The most recordings one Download selected ZIP may hold [default: 1000].
    #[arg(
        long,
        global = true,
        env = "CALLREC_BULK_DOWNLOAD_MAX",
        value_name = "N"
    )]
    pub bulk_download_max: Option<u32>,
    /// Days a shorter retention waits before the purge uses it (0–365); the
    /// company's Manage Users and Delete Recordings holders are mailed and
    /// may cancel it meanwhile [default: 7].
    #[arg(
        long,
        global = true,
        env = "CALLREC_RETENTION_NOTICE_DAYS",
        value_name = "DAYS"
    )]
    pub retention_notice_days: Option<u32>,
    /// Mail server for password links and security notices:
    /// smtp://[user:password@]host[:port] (STARTTLS when offered) or
    /// smtps://… [default: no mail; Forgotten your password? is not offered].
    #[arg(
        long,
        global = true,
        env = "CALLREC_SMTP_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub smtp_url: Option<String>,
    /// The sender of mail, e.g. "Call Recording <calls@example.com>"
    /// (required with --smtp-url).
    #[arg(long, global = true, env = "CALLREC_MAIL_FROM", value_name = "MAILBOX")]
    pub mail_from: Option<String>,
    /// Where audio is kept: file:///folder, or s3://bucket/prefix for an
    /// S3-compatible object store (credentials from AWS_ACCESS_KEY_ID and
    /// AWS_SECRET_ACCESS_KEY) [default: the audio folder in the data directory].
    #[arg(long, global = true, env = "CALLREC_AUDIO_STORE", value_name = "URL")]
    pub audio_store: Option<String>,
    /// The S3 server's address for a store other than AWS, e.g.
    /// http://127.0.0.1:9000 (with s3:// audio).
    #[arg(long, global = true, env = "CALLREC_S3_ENDPOINT", value_name = "URL")]
    pub s3_endpoint: Option<String>,
    /// The bucket's region (with s3:// audio) [default: AWS_DEFAULT_REGION, or us-east-1].
    #[arg(long, global = true, env = "CALLREC_S3_REGION", value_name = "REGION")]
    pub s3_region: Option<String>,
    /// Log lines as json (one object per line, for log shippers) or text
    /// [default: text on a terminal, json otherwise].
    #[arg(long, global = true, env = "CALLREC_LOG_FORMAT", value_name = "FORMAT")]
    pub log_format: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web portal.
    Serve(Box<ServeArgs>),
    /// Apply database migrations, then seal (encrypt) every stored audio
    /// file that is still plain with its company's data key, and draw the
    /// waveform of every WAV file that has none, with progress; run it
    /// again to finish a run that stopped.
    Migrate,
    /// Add demo companies, teams, users (documented passwords) and recordings.
    Demo(DemoArgs),
    /// Manage companies.
    #[command(subcommand)]
    Company(CompanyCommand),
    /// Manage teams.
    #[command(subcommand)]
    Team(TeamCommand),
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens: a company's scoped, expiring credentials for the API.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage the recording sources (SBCs) the SIPREC recording server
    /// takes calls from (CALLREC_SIPREC_LISTEN).
    #[command(subcommand)]
    Capture(CaptureCommand),
    /// Import a folder of audio files (each with a sidecar NAME.json of
    /// metadata, or FreePBX's recordings), once or watching it.
    Import(ImportArgs),
    /// Copy the portal while it serves into a new folder: the SQLite
    /// database (a consistent copy), the audio its rows point at and the
    /// key file. On PostgreSQL, take the database with pg_dump first; this
    /// then copies the audio and keys.
    Backup(BackupArgs),
    /// Put a backup into a fresh data directory (and the configured audio
    /// store), then bring its schema up to date.
    Restore(BackupArgs),
    /// Manage where audio is stored.
    #[command(subcommand)]
    Audio(AudioCommand),
    /// Manage the keys that encrypt MFA secrets (CALLREC_SECRET_KEY, or the
    /// mfa-keys file in the data directory).
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Re-hash every stored recording's audio against the SHA-256 taken at
    /// ingest; report missing, altered and orphaned files (exit 1 on any).
    Verify(VerifyArgs),
    /// Check the audit log's hash chains, or print their heads to keep
    /// elsewhere.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Delete now what retention and Deleted recordings say is due (every
    /// node also does this every ten minutes); held recordings are kept.
    Purge(PurgeArgs),
}
