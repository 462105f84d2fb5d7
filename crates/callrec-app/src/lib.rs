//! The application layer: what callrec does, as functions over the store
//! and the domain, called by the web handlers and the command line alike.
//! Nothing here knows about HTTP.

pub mod accounts;
pub mod audio_move;
pub mod audit;
pub mod backup;
pub mod bootstrap;
pub mod caller;
pub mod capture;
pub mod clock;
pub mod companies;
mod error;
pub mod housekeeping;
pub mod ingest;
pub mod integrity;
pub mod keyring;
pub mod lease;
pub mod mail;
pub mod mfa;
pub mod notes;
pub mod numbers;
pub mod passwords;
pub mod playback;
pub mod records;
pub mod rotation;
pub mod scim;
pub mod sealing;
pub mod sessions;
pub mod settings;
pub mod sign_in;
pub mod sso;
pub mod tags;
pub mod teams;
pub mod tokens;
pub mod transcription;
pub mod waveforms;

pub use caller::Caller;
pub use clock::{system_now, Clock};
pub use error::Error;
pub use keyring::{key_id, Keyring, SecretError};
pub use passwords::{Argon2Settings, Passwords};
pub use tokens::{
    announce_token, create_token, new_token, revoke_token, revoke_tokens_made_by, token_hash,
    TokenRequest,
};
