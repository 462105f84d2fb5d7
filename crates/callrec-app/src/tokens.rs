//! API tokens: made here, shown once, stored only as their SHA-256.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// The stored form of a token.
pub fn token_hash(token: &str) -> String {
    callrec_domain::hex::hex(&Sha256::digest(token.as_bytes()))
}

/// A new API token: shown once, stored only as its hash.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("crt_{}", URL_SAFE_NO_PAD.encode(bytes))
}
