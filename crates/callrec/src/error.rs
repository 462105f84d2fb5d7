//! The binary's error type: what went wrong, and the exit code it means.

use callrec_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The input was wrong; nothing was written. Exit code 2.
    #[error("{0}")]
    Usage(String),
    /// The input was fine but the work failed. Exit code 1.
    #[error("{0}")]
    Failed(String),
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => 2,
            CliError::Failed(_) => 1,
        }
    }
}

impl From<StoreError> for CliError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict { .. } | StoreError::UnsupportedUrl => CliError::Usage(err.to_string()),
            StoreError::Connect { .. } => CliError::Failed(format!(
                "{err}\nCheck --database-url / CALLREC_DATABASE_URL and that the database server is running."
            )),
            other => CliError::Failed(other.to_string()),
        }
    }
}

impl From<callrec_app::Error> for CliError {
    fn from(err: callrec_app::Error) -> Self {
        match err {
            callrec_app::Error::Invalid(err) => CliError::Usage(err.message),
            callrec_app::Error::Store(err) => CliError::from(err),
            other => CliError::Failed(other.to_string()),
        }
    }
}

impl From<callrec_domain::ValidationError> for CliError {
    fn from(err: callrec_domain::ValidationError) -> Self {
        CliError::Usage(err.message)
    }
}
