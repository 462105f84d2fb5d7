//! `callrec capture`: the recording sources the SIPREC recording server
//! accepts calls from.

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum CaptureCommand {
    /// Allow an SBC (an address or a CIDR range) to send a company's calls.
    AddSource {
        /// The company whose calls the source sends.
        #[arg(long, value_name = "NAME")]
        company: String,
        /// The SBC's address, or a range like 192.0.2.0/28 (at most a /8;
        /// IPv6 at most a /32).
        #[arg(long, value_name = "CIDR")]
        address: String,
        /// A label for the source (shown in the audit log) [default: the address].
        #[arg(long, value_name = "TEXT")]
        name: Option<String>,
        #[command(flatten)]
        credentials: SipCredentialArgs,
    },
    /// Set the SIP digest credentials a source's INVITEs must carry, or
    /// remove them (--clear: its address alone admits it again).
    SetCredentials {
        #[arg(long, value_name = "NAME")]
        company: String,
        /// The source's address or range as added.
        #[arg(long, value_name = "CIDR")]
        address: String,
        #[command(flatten)]
        credentials: SipCredentialArgs,
        /// Remove the source's credentials.
        #[arg(long, conflicts_with_all = ["sip_username", "sip_password_stdin"])]
        clear: bool,
    },
    /// List the recording sources, of one company or all.
    List {
        #[arg(long, value_name = "NAME")]
        company: Option<String>,
    },
    /// Stop accepting calls from a source; calls in progress finish.
    Remove {
        #[arg(long, value_name = "NAME")]
        company: String,
        /// The address or range as added (any spelling of the same network).
        #[arg(long, value_name = "CIDR")]
        address: String,
    },
    /// Add a company's phone numbers or extensions (Company settings →
    /// Numbers): a shared SBC's calls are routed by the phone numbers, and
    /// a captured call's direction is told by both.
    AddNumbers {
        #[arg(long, value_name = "NAME")]
        company: String,
        /// A phone number (+44 20 7946 0000, or national in the company's
        /// country) or an extension of up to 6 digits.
        #[arg(long, value_name = "NUMBER")]
        first: String,
        /// The last of a range, as long as the first [default: the first].
        #[arg(long, value_name = "NUMBER")]
        last: Option<String>,
    },
    /// List the companies' numbers, of one company or all.
    ListNumbers {
        #[arg(long, value_name = "NAME")]
        company: Option<String>,
    },
    /// Remove a company's numbers, given as they were added.
    RemoveNumbers {
        #[arg(long, value_name = "NAME")]
        company: String,
        #[arg(long, value_name = "NUMBER")]
        first: String,
        #[arg(long, value_name = "NUMBER")]
        last: Option<String>,
    },
}

/// Optional SIP digest credentials of a source.
#[derive(Debug, clap::Args)]
pub struct SipCredentialArgs {
    /// The username the SBC answers digest challenges with.
    #[arg(long, value_name = "NAME", requires = "sip_password_stdin")]
    pub sip_username: Option<String>,
    /// Read the SBC's SIP password (16 to 128 characters) from the first
    /// line of standard input (passwords never go in arguments).
    #[arg(long, requires = "sip_username")]
    pub sip_password_stdin: bool,
}
