//! `callrec serve`: its flags.

use clap::Args;

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
    /// Run the SIPREC recording server on this address, UDP and TCP,
    /// e.g. 0.0.0.0:5060 [default: off].
    #[arg(long, env = "CALLREC_SIPREC_LISTEN", value_name = "ADDR")]
    pub siprec_listen: Option<String>,
    /// Also take SIP over TLS on this address, e.g. 0.0.0.0:5061, with
    /// --siprec-tls-cert and --siprec-tls-key [default: off].
    #[arg(long, env = "CALLREC_SIPREC_TLS_LISTEN", value_name = "ADDR")]
    pub siprec_tls_listen: Option<String>,
    /// The certificate chain SIP over TLS presents (PEM).
    #[arg(long, env = "CALLREC_SIPREC_TLS_CERT", value_name = "FILE")]
    pub siprec_tls_cert: Option<std::path::PathBuf>,
    /// Its private key (PEM); keep it readable by callrec only.
    #[arg(long, env = "CALLREC_SIPREC_TLS_KEY", value_name = "FILE")]
    pub siprec_tls_key: Option<std::path::PathBuf>,
    /// UDP ports for the calls' media, e.g. 40000-40999; each stream takes
    /// an even one [default: 40000-40999].
    #[arg(long, env = "CALLREC_RTP_PORTS", value_name = "FIRST-LAST")]
    pub rtp_ports: Option<String>,
    /// Calls this node records at once; more are answered 503 [default: 500].
    #[arg(long, env = "CALLREC_CAPTURE_MAX_CALLS", value_name = "CALLS")]
    pub capture_max_calls: Option<usize>,
    /// A call longer than this is cut and stored [default: 8].
    #[arg(long, env = "CALLREC_CAPTURE_MAX_HOURS", value_name = "HOURS")]
    pub capture_max_hours: Option<u64>,
    /// New calls a second one recording source may start; more are
    /// answered 503 with Retry-After [default: 50].
    #[arg(long, env = "CALLREC_CAPTURE_INVITES_PER_SECOND", value_name = "CALLS")]
    pub capture_invites_per_second: Option<u32>,
    /// The speech engine's OpenAI-compatible API base, e.g.
    /// http://asr.internal:8000/v1; calls are transcribed only with it
    /// [default: off].
    #[arg(long, env = "CALLREC_TRANSCRIBE_URL", value_name = "URL")]
    pub transcribe_url: Option<String>,
    /// The engine's model name [default: whisper-1].
    #[arg(long, env = "CALLREC_TRANSCRIBE_MODEL", value_name = "NAME")]
    pub transcribe_model: Option<String>,
    /// The engine's API key, sent as a bearer token (never logged).
    #[arg(
        long,
        env = "CALLREC_TRANSCRIBE_API_KEY",
        value_name = "KEY",
        hide_env_values = true
    )]
    pub transcribe_api_key: Option<String>,
    /// Calls this node transcribes at once [default: 1].
    #[arg(long, env = "CALLREC_TRANSCRIBE_CONCURRENCY", value_name = "N")]
    pub transcribe_concurrency: Option<usize>,
    /// The language spoken, as an ISO 639-1 code [default: en].
    #[arg(long, env = "CALLREC_TRANSCRIBE_LANGUAGE", value_name = "CODE")]
    pub transcribe_language: Option<String>,
    /// How long the engine may take to hear one party of a call, in
    /// seconds [default: 600].
    #[arg(
        long,
        env = "CALLREC_TRANSCRIBE_TIMEOUT_SECONDS",
        value_name = "SECONDS"
    )]
    pub transcribe_timeout_seconds: Option<u64>,
}
