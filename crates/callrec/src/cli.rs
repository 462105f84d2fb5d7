//! Command-line interface. Every setting can also come from the environment
//! (`CALLREC_*`) or the TOML file given with `--config`; flags win over the
//! environment, which wins over the file.

use clap::{Args, Parser, Subcommand};
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
    /// file that is still plain with its company's data key, with progress;
    /// run it again to finish a run that stopped.
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
    /// Import a folder of audio files, each with a sidecar NAME.json of metadata.
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

#[derive(Debug, Args)]
pub struct PurgeArgs {
    /// Recordings deleted per transaction [default: 500].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub batch: Option<u32>,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk every chain and name the first entry that was changed, removed
    /// or reordered (exit 1 on any).
    Verify {
        /// Anchors printed earlier by `callrec audit anchor`: each must
        /// still be in its chain.
        #[arg(long, value_name = "FILE")]
        anchors: Option<PathBuf>,
    },
    /// Print every chain's head (`<chain> <length> <hash>`), to keep
    /// outside this server and check later with `verify --anchors`.
    Anchor,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Only this company's recordings (and stored files).
    #[arg(long, value_name = "NAME")]
    pub company: Option<String>,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Synthetic recordings to add (sharing a few generated audio files)
    /// [default: 3000 when the demo is first loaded, else none].
    #[arg(long, value_name = "N")]
    pub recordings: Option<u64>,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token for a company; it is printed once (only its hash is kept).
    Create {
        /// The company the token acts for: it reads and sends only this
        /// company's data.
        #[arg(long, value_name = "NAME")]
        company: String,
        /// A label for the token, unique in the company (e.g. the PBX's
        /// name); the audit log names the token's actions by it.
        #[arg(long, value_name = "LABEL")]
        name: String,
        /// What the token may do: ingest, recordings:read,
        /// recordings:download, directory:read, audit:read. Repeat the
        /// option or separate with commas. Without it: ingest.
        #[arg(long, value_name = "SCOPE", value_delimiter = ',')]
        scope: Vec<String>,
        /// Days until the token stops working (1 to 1826); without it the
        /// token works until revoked.
        #[arg(long, value_name = "DAYS")]
        expires_in_days: Option<String>,
    },
    /// List tokens (never the tokens themselves).
    List {
        /// Only this company's tokens.
        #[arg(long, value_name = "NAME")]
        company: Option<String>,
    },
    /// Revoke a token; requests with it are refused from then on.
    Revoke {
        #[arg(long, value_name = "NAME")]
        company: String,
        #[arg(long, value_name = "LABEL")]
        name: String,
    },
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The company the recordings belong to.
    #[arg(long, value_name = "NAME")]
    pub company: String,
    /// The folder: audio files (WAV, MP3, Ogg) each with NAME.json beside it
    /// holding the same metadata as the ingest API.
    pub dir: std::path::PathBuf,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The backup's folder (new or empty for backup).
    pub dir: std::path::PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum AudioCommand {
    /// Copy every stored audio file, as stored, from the configured store
    /// (CALLREC_AUDIO_STORE) to another, with progress, while the portal
    /// serves. Files already there are skipped: run it again to finish a
    /// stopped run, and once more just before pointing every node at the
    /// new store.
    Migrate {
        /// Where to: s3://bucket/prefix (with CALLREC_S3_ENDPOINT,
        /// CALLREC_S3_REGION and AWS_* credentials) or file:///folder.
        #[arg(long, value_name = "URL")]
        to: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Print a new master key (base64 of 32 random bytes) for
    /// CALLREC_SECRET_KEY: give the same one to every node.
    Generate,
    /// Make a new current master key (in the key file; with
    /// CALLREC_SECRET_KEY set, put the new key there and the old one in
    /// CALLREC_SECRET_KEY_PREVIOUS first) and re-encrypt every stored MFA
    /// secret and every company's audio data key with it. With
    /// --company C --data: instead, give the company a new audio data key
    /// and re-seal all its audio with it, with progress (run it again to
    /// finish a run that stopped).
    Rotate {
        /// The company whose audio data key to replace (with --data).
        #[arg(long, value_name = "NAME", requires = "data")]
        company: Option<String>,
        /// Re-seal the company's audio with a new data key.
        #[arg(long, requires = "company")]
        data: bool,
    },
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "CALLREC_LISTEN", value_name = "ADDR")]
    pub listen: Option<String>,
    /// Address users type, e.g. https://calls.example.com; https makes cookies Secure.
    #[arg(long, env = "CALLREC_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    /// Reverse proxies in front of the portal (comma-separated addresses and
    /// CIDR ranges, e.g. 10.0.0.0/8,192.0.2.7): only requests from them may
    /// name the client in Forwarded / X-Forwarded-For [default: none].
    #[arg(long, env = "CALLREC_TRUSTED_PROXIES", value_name = "LIST")]
    pub trusted_proxies: Option<String>,
    /// Load the demo data on first start and print the demo logins.
    #[arg(long)]
    pub demo: bool,
    /// Accounts nobody signed in to for this many days are shown as
    /// dormant on the Users page [default: off].
    #[arg(long, env = "CALLREC_DORMANT_DAYS", value_name = "DAYS")]
    pub dormant_days: Option<i64>,
    /// The largest audio file the ingest API accepts, in megabytes [default: 200].
    #[arg(long, env = "CALLREC_MAX_UPLOAD_MB", value_name = "MB")]
    pub max_upload_mb: Option<u64>,
    /// API requests each token may make a minute, across all nodes; past
    /// it the API answers 429 with Retry-After [default: 600].
    #[arg(long, env = "CALLREC_API_RATE_LIMIT", value_name = "REQUESTS")]
    pub api_rate_limit: Option<i64>,
    /// Audio an upload stored without its recording (a crash between the
    /// two) is removed at start once it is this old (other nodes may be
    /// mid-upload), and every ten minutes once an hour old [default: 60].
    #[arg(long, env = "CALLREC_ORPHAN_GRACE_SECONDS", value_name = "SECONDS")]
    pub orphan_grace_seconds: Option<u64>,
    /// Seconds a client may take to send a request's headers before the
    /// connection is closed [default: 10].
    #[arg(long, env = "CALLREC_HEADER_TIMEOUT_SECONDS", value_name = "SECONDS")]
    pub header_timeout_seconds: Option<u64>,
    /// Seconds a request body (an upload) may pause between chunks before
    /// the request is ended [default: 30].
    #[arg(long, env = "CALLREC_BODY_TIMEOUT_SECONDS", value_name = "SECONDS")]
    pub body_timeout_seconds: Option<u64>,
    /// On SIGTERM, seconds the requests in flight (uploads included) have
    /// to finish before the process exits anyway [default: 30].
    #[arg(long, env = "CALLREC_SHUTDOWN_SECONDS", value_name = "SECONDS")]
    pub shutdown_seconds: Option<u64>,
    /// Address for GET /metrics (Prometheus text), e.g. 127.0.0.1:9464:
    /// keep it off the public port [default: off].
    #[arg(long, env = "CALLREC_METRICS_LISTEN", value_name = "ADDR")]
    pub metrics_listen: Option<String>,
    /// Minutes without a request after which a session ends [default: 30].
    #[arg(long, env = "CALLREC_SESSION_IDLE_MINUTES", value_name = "MINUTES")]
    pub session_idle_minutes: Option<i64>,
    /// Hours after sign-in after which a session ends regardless [default: 12].
    #[arg(long, env = "CALLREC_SESSION_ABSOLUTE_HOURS", value_name = "HOURS")]
    pub session_absolute_hours: Option<i64>,
    /// Argon2id memory cost in KiB [default: 19456].
    #[arg(long, env = "CALLREC_ARGON2_MEMORY_KIB", value_name = "KIB")]
    pub argon2_memory_kib: Option<u32>,
    /// Argon2id passes [default: 2].
    #[arg(long, env = "CALLREC_ARGON2_ITERATIONS", value_name = "N")]
    pub argon2_iterations: Option<u32>,
    /// Argon2id lanes [default: 1].
    #[arg(long, env = "CALLREC_ARGON2_PARALLELISM", value_name = "N")]
    pub argon2_parallelism: Option<u32>,
    /// Failed sign-ins per username within the window before sign-in pauses [default: 10].
    #[arg(long, env = "CALLREC_SIGNIN_ACCOUNT_LIMIT", value_name = "N")]
    pub signin_account_limit: Option<i64>,
    /// Failed sign-ins per client address within the window before sign-in pauses [default: 100].
    #[arg(long, env = "CALLREC_SIGNIN_CLIENT_LIMIT", value_name = "N")]
    pub signin_client_limit: Option<i64>,
    /// Length of the sign-in throttling window in minutes [default: 15].
    #[arg(long, env = "CALLREC_SIGNIN_WINDOW_MINUTES", value_name = "MINUTES")]
    pub signin_window_minutes: Option<i64>,
    /// Name shown for the portal in authenticator apps [default: Call Recording].
    #[arg(long, env = "CALLREC_MFA_ISSUER", value_name = "NAME")]
    pub mfa_issuer: Option<String>,
    /// Wrong MFA codes in one sign-in before it ends [default: 5].
    #[arg(long, env = "CALLREC_MFA_ATTEMPT_LIMIT", value_name = "N")]
    pub mfa_attempt_limit: Option<i64>,
    /// Wrong MFA codes per account in an hour before MFA locks [default: 20].
    #[arg(long, env = "CALLREC_MFA_HOURLY_LIMIT", value_name = "N")]
    pub mfa_hourly_limit: Option<i64>,
    /// How long MFA stays locked, in minutes [default: 15].
    #[arg(long, env = "CALLREC_MFA_LOCK_MINUTES", value_name = "MINUTES")]
    pub mfa_lock_minutes: Option<i64>,
}

#[derive(Debug, Subcommand)]
pub enum CompanyCommand {
    /// Add a company (names are unique in any case).
    Add {
        /// The company's name.
        name: String,
    },
    /// List companies: MFA policy, retention and any shorter retention
    /// waiting out its notice period.
    List,
    /// Change a company's settings. A shorter retention takes effect after
    /// the notice period (CALLREC_RETENTION_NOTICE_DAYS), and the company's
    /// Manage Users and Delete Recordings holders are mailed; a longer one
    /// at once. Audited as cli.
    Set {
        /// The company.
        #[arg(long, value_name = "NAME")]
        company: String,
        /// How long recordings are kept: forever, or days, months or years
        /// such as "90 days", "3 months", "7 years", "1 day".
        #[arg(long, value_name = "PERIOD")]
        retention: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TeamCommand {
    /// Add a team to a company.
    Add {
        /// The company the team belongs to.
        #[arg(long, value_name = "NAME")]
        company: String,
        /// The team's name (unique within the company).
        team: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user; the password is the first line of standard input.
    Add(UserAddArgs),
    /// List users.
    List {
        /// Only users of this company.
        #[arg(long, value_name = "NAME")]
        company: Option<String>,
    },
    /// Set a user's password from the first line of standard input; ends their sessions.
    SetPassword {
        /// The user's username (any case).
        username: String,
        /// Read the new password from standard input (required: passwords never go in arguments).
        #[arg(long, required = true)]
        password_stdin: bool,
        /// For automation: the password is not temporary (no change forced
        /// at the next sign-in, no expiry).
        #[arg(long)]
        permanent: bool,
    },
    /// Clear a user's MFA registration and end their sessions (break-glass
    /// for users nobody in the portal outranks); audited with actor `cli`.
    ResetMfa {
        /// The user's username (any case).
        username: String,
    },
}

#[derive(Debug, Args)]
pub struct UserAddArgs {
    /// The company the user belongs to.
    #[arg(long, value_name = "NAME")]
    pub company: String,
    /// Sign-in name: 3–64 letters, digits and . _ - @.
    #[arg(long, value_name = "U")]
    pub username: String,
    /// global, company, team or staff.
    #[arg(long, value_name = "LEVEL")]
    pub level: String,
    /// The user's team (required for team and staff users).
    #[arg(long, value_name = "TEAM")]
    pub team: Option<String>,
    /// A role to grant, by its name, e.g. "Access to Recordings"; repeat for more.
    #[arg(long = "role", value_name = "ROLE")]
    pub roles: Vec<String>,
    /// The name shown in the portal [default: the username].
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// The user's e-mail address.
    #[arg(long, value_name = "ADDRESS")]
    pub email: Option<String>,
    /// Read the password from standard input (required: passwords never go in arguments).
    #[arg(long, required = true)]
    pub password_stdin: bool,
    /// For automation: the password is not temporary (no change forced at
    /// the first sign-in, no expiry).
    #[arg(long)]
    pub permanent: bool,
}
