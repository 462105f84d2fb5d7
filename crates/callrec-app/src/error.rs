//! The application layer's one error type; the web layer maps it to HTTP
//! (`callrec_web::AppError`), the command line to exit codes.

use callrec_domain::ValidationError;
use callrec_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input a person can correct.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Something that is not the caller's fault (hashing failed, …).
    #[error("{0}")]
    Internal(String),
}
