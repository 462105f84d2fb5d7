//! The application layer's one error type. Each failure keeps its cause
//! (`#[source]`); the web layer maps it to HTTP in one place
//! (`callrec_web::AppError`), the command line to exit codes.

use crate::keyring::SecretError;
use callrec_domain::ValidationError;
use callrec_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input a person can correct.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Reading or writing audio, a backup or another file failed.
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    /// Work handed to a blocking thread did not finish.
    #[error("a background task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// A stored secret or data key that the configured keys do not open.
    #[error("{what}: {source}")]
    Secret {
        what: String,
        #[source]
        source: SecretError,
    },
    /// The security-key library refused to make or read a ceremony.
    #[error("security keys ({what}): {source}")]
    WebAuthn {
        what: &'static str,
        #[source]
        source: webauthn_rs::prelude::WebauthnError,
    },
    /// A ceremony's state that could not be written or read as JSON.
    #[error("{what}: {source}")]
    Json {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
    #[error("mail template: {0}")]
    Template(#[from] askama::Error),
    /// The caller may not do this at all (a page they do not have, a
    /// token asking for what only people do).
    #[error("not allowed")]
    NotAllowed,
    /// A signed-in user must confirm presence ("Confirm it's you") first.
    #[error("confirm it's you first")]
    PresenceNeeded,
    /// Another run holds the job (or took it meanwhile): the message says
    /// when to try again.
    #[error("{0}")]
    Busy(String),
    /// An operator's command that cannot go ahead as asked; the message
    /// says what to do instead.
    #[error("{0}")]
    Refused(String),
    /// Something that is not the caller's fault and has no cause to keep
    /// (a rule of the data broken, hashing misconfigured).
    #[error("{0}")]
    Internal(String),
}

impl Error {
    /// An I/O failure while doing `what`.
    pub fn io(what: impl Into<String>) -> impl Fn(std::io::Error) -> Error {
        let what = what.into();
        move |source| Error::Io {
            what: what.clone(),
            source,
        }
    }
}
