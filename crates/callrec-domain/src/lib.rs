//! The rules of callrec as pure functions and types.
//!
//! Nothing here does I/O, spawns tasks or reads the clock: callers pass the
//! current time in. That keeps every rule testable with a plain table.

pub mod api_scope;
pub mod audio;
pub mod audit;
pub mod audit_chain;
pub mod country;
pub mod csv;
pub mod dashboard;
pub mod freepbx;
pub mod hex;
pub mod hold;
pub mod ids;
pub mod level;
pub mod marks;
pub mod metadata;
pub mod mfa;
pub mod names;
pub mod network;
pub mod note;
pub mod numbers;
pub mod password;
pub mod period;
pub mod permissions;
pub mod phone;
pub mod range;
pub mod recording;
pub mod recovery;
pub mod redaction;
pub mod retention;
pub mod role;
pub mod scim;
pub mod sealed;
pub mod security_key;
pub mod sip_credentials;
pub mod sso;
pub mod throttle;
pub mod time;
pub mod totp;
pub mod transcript;
pub mod transcription;
pub mod waveform;
pub mod words;
pub mod zip;
pub mod zone;

pub use ids::{CompanyId, TeamId, UserId};
pub use level::Level;
pub use mfa::{MfaPolicy, SessionFacts, SignInStep};
pub use names::{
    CompanyName, DisplayName, Email, KeyName, SearchTerm, TagName, TeamName, TokenName, Username,
};
pub use password::{NewPassword, PasswordLife};
pub use permissions::{Actor, MenuItem, Subject};
pub use phone::PhoneNumber;
pub use role::{Role, RoleSet};

/// A value a user typed was not acceptable. `field` names the form field so
/// the web layer can show the message beside it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ValidationError {
    pub field: &'static str,
    pub message: String,
}

impl ValidationError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}
