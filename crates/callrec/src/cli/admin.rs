//! Companies, teams, users and API tokens: their subcommands and flags.

use clap::{Args, Subcommand};

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
    #[command(group(clap::ArgGroup::new("change").required(true).multiple(true).args(["retention", "country", "transcription", "redaction", "backfill_days"])))]
    Set {
        /// The company.
        #[arg(long, value_name = "NAME")]
        company: String,
        /// How long recordings are kept: forever, or days, months or years
        /// such as "90 days", "3 months", "7 years", "1 day".
        #[arg(long, value_name = "PERIOD")]
        retention: Option<String>,
        /// The country national phone numbers are typed in (Company
        /// settings → Country for phone numbers): a two-letter code such as
        /// GB, US or DE, or "default" for CALLREC_DEFAULT_COUNTRY.
        #[arg(long, value_name = "CODE")]
        country: Option<String>,
        /// Transcribe the company's calls (Company settings →
        /// Transcription): on or off. Needs a speech engine on the nodes
        /// (CALLREC_TRANSCRIBE_URL).
        #[arg(long, value_name = "on|off", value_parser = ["on", "off"])]
        transcription: Option<String>,
        /// With transcription on: also queue the calls of this many days
        /// back that have no transcript yet.
        #[arg(long, value_name = "DAYS")]
        backfill_days: Option<String>,
        /// What card numbers are taken out of (Company settings →
        /// Redaction): off, transcript, or audio (transcript and audio).
        #[arg(long, value_name = "off|transcript|audio", value_parser = ["off", "transcript", "audio"])]
        redaction: Option<String>,
        /// After queueing calls, show the company's transcripts' progress
        /// until none is waiting (Ctrl-C stops watching, not the work).
        #[arg(long, requires = "backfill_days")]
        wait: bool,
    },
    /// Single sign-on through the company's OpenID Connect provider
    /// (Company settings → Single sign-on): its people sign in with
    /// "Sign in with single sign-on" and their work email. The client
    /// secret is the first line of standard input. Register the portal at
    /// the provider with the redirect URI {CALLREC_PUBLIC_URL}/sso/callback.
    /// Audited as cli.
    Sso(CompanySsoArgs),
}

/// `callrec company sso`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("settings").multiple(true).args(["issuer", "client_id", "client_secret_stdin", "domain", "create_users", "mfa", "team", "required", "local_admin", "trust_email"]).conflicts_with("off")))]
pub struct CompanySsoArgs {
    /// The company.
    #[arg(long, value_name = "NAME")]
    pub company: String,
    /// The provider's issuer URL (discovery is read from
    /// ISSUER/.well-known/openid-configuration), e.g.
    /// https://login.microsoftonline.com/TENANT/v2.0.
    #[arg(long, value_name = "URL", required_unless_present = "off")]
    pub issuer: Option<String>,
    /// The portal's client ID at the provider.
    #[arg(long, value_name = "ID", required_unless_present = "off")]
    pub client_id: Option<String>,
    /// Read the client secret from the first line of standard input
    /// (needed the first time, and with a new issuer or client ID).
    #[arg(long)]
    pub client_secret_stdin: bool,
    /// An email domain whose people sign in through the provider; repeat
    /// for more (each domain belongs to one company).
    #[arg(long, value_name = "DOMAIN", required_unless_present = "off")]
    pub domain: Vec<String>,
    /// Create an account (Staff, Agent preset) for an unknown person of
    /// these domains at their first sign-in.
    #[arg(long)]
    pub create_users: bool,
    /// The team those accounts join (default: the company's oldest team).
    #[arg(long, value_name = "NAME", requires = "create_users")]
    pub team: Option<String>,
    /// Whose MFA counts: idp (the provider's), portal (ours after the
    /// provider, as the company's MFA policy says), or both (the provider
    /// must show MFA, and users who manage users or MFA give our code too).
    #[arg(long, value_name = "idp|portal|both", default_value = "portal", value_parser = ["idp", "portal", "both"])]
    pub mfa: String,
    /// Refuse passwords to everyone of the company but its local
    /// administrators (--local-admin).
    #[arg(long)]
    pub required: bool,
    /// A user who may still sign in with a password (a local
    /// administrator, for when the provider fails); repeat for more.
    #[arg(long, value_name = "USERNAME")]
    pub local_admin: Vec<String>,
    /// Take the provider's email addresses although it does not mark them
    /// verified (for Microsoft Entra ID, which never sends email_verified;
    /// only for a directory you control).
    #[arg(long)]
    pub trust_email: bool,
    /// Turn single sign-on off: everyone signs in with a password again.
    #[arg(long)]
    pub off: bool,
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
    /// Their extension on the company's phone system: captured and
    /// imported calls on it become theirs.
    #[arg(long, value_name = "NUMBER")]
    pub extension: Option<String>,
    /// Read the password from standard input (required: passwords never go in arguments).
    #[arg(long, required = true)]
    pub password_stdin: bool,
    /// For automation: the password is not temporary (no change forced at
    /// the first sign-in, no expiry).
    #[arg(long)]
    pub permanent: bool,
}
