//! TOTP secrets at rest: XChaCha20-Poly1305 with a random 192-bit nonce,
//! the user id as associated data (a ciphertext copied onto another user's
//! row does not decrypt), and the key's id in front so keys can rotate.
//!
//! Stored form: `v1.<key id>.<base64url(nonce ‖ ciphertext)>`.
//!
//! Recovery codes are hashed, not encrypted: HMAC-SHA-256 under a key
//! derived from each keyring key, over the user id and the code, so a copy
//! of the database alone cannot test the 2^40 possible codes.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use callrec_domain::recovery::RecoveryCode;
use callrec_domain::totp::TotpSecret;
use callrec_domain::UserId;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretError {
    #[error("the stored secret is not in a known format")]
    Malformed,
    #[error("the stored secret was encrypted with key {0}, which is not configured")]
    UnknownKey(String),
    #[error("the stored secret does not decrypt with its key (tampered or moved)")]
    Undecryptable,
}

struct Key {
    id: String,
    cipher: XChaCha20Poly1305,
    /// The recovery-code hashing key derived from this key.
    hashing: [u8; 32],
}

/// The current key, which encrypts, and older keys, which only decrypt.
pub struct Keyring {
    keys: Vec<Key>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<_> = self.keys.iter().map(|k| k.id.as_str()).collect();
        f.debug_struct("Keyring").field("key_ids", &ids).finish()
    }
}

/// The id of a key: the first 8 hex digits of its SHA-256.
pub fn key_id(key: &[u8; 32]) -> String {
    callrec_domain::hex::hex(&Sha256::digest(key)[..4])
}

fn aad(user: UserId) -> String {
    format!("callrec-mfa-secret:{}", user.0)
}

impl Keyring {
    pub fn new(current: [u8; 32], previous: &[[u8; 32]]) -> Keyring {
        let keys = std::iter::once(&current)
            .chain(previous)
            .map(|key| Key {
                id: key_id(key),
                cipher: XChaCha20Poly1305::new(key.into()),
                hashing: Sha256::new()
                    .chain_update(b"callrec-recovery-codes\0")
                    .chain_update(key)
                    .finalize()
                    .into(),
            })
            .collect();
        Keyring { keys }
    }

    pub fn current_key_id(&self) -> &str {
        &self.keys[0].id
    }

    pub fn encrypt(&self, user: UserId, secret: &TotpSecret) -> String {
        self.seal(&aad(user), secret.as_bytes())
    }

    pub fn decrypt(&self, user: UserId, stored: &str) -> Result<TotpSecret, SecretError> {
        let plain = self.unseal(&aad(user), stored)?;
        TotpSecret::from_slice(&plain).ok_or(SecretError::Malformed)
    }

    /// `plain` encrypted under the current key, bound to `aad` (what it
    /// belongs to), in the stored form `v1.<key id>.<base64url>`: MFA
    /// secrets, and the companies' audio data keys.
    pub fn seal(&self, aad: &str, plain: &[u8]) -> String {
        let key = &self.keys[0];
        let mut nonce = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ciphertext = key
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: aad.as_bytes(),
                },
            )
            .expect("encrypting a few bytes cannot exceed the cipher's limits");
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&ciphertext);
        format!("v1.{}.{}", key.id, URL_SAFE_NO_PAD.encode(blob))
    }

    /// What [`Keyring::seal`] sealed for `aad`.
    pub fn unseal(&self, aad: &str, stored: &str) -> Result<Vec<u8>, SecretError> {
        let mut parts = stored.splitn(3, '.');
        let (Some("v1"), Some(id), Some(data)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(SecretError::Malformed);
        };
        let key = self
            .keys
            .iter()
            .find(|k| k.id == id)
            .ok_or_else(|| SecretError::UnknownKey(id.to_string()))?;
        let blob = URL_SAFE_NO_PAD
            .decode(data)
            .map_err(|_| SecretError::Malformed)?;
        if blob.len() < 24 {
            return Err(SecretError::Malformed);
        }
        let (nonce, ciphertext) = blob.split_at(24);
        key.cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| SecretError::Undecryptable)
    }

    /// The stored form of a recovery code: its keyed hash under the
    /// current key.
    pub fn recovery_hash(&self, user: UserId, code: &RecoveryCode) -> String {
        recovery_hash(&self.keys[0], user, code)
    }

    /// The hashes `code` may be stored under: one per key, current first,
    /// so codes made before a rotation keep working.
    pub fn recovery_candidates(&self, user: UserId, code: &RecoveryCode) -> Vec<String> {
        self.keys
            .iter()
            .map(|key| recovery_hash(key, user, code))
            .collect()
    }

    /// The user's handle for security keys: opaque (WebAuthn §14.6.1 —
    /// not the account id), stable while the current key is.
    pub fn user_handle(&self, user: UserId) -> [u8; 16] {
        let mac = keyed(&self.keys[0], &format!("webauthn-user-handle:{}", user.0));
        let mut handle = [0u8; 16];
        handle.copy_from_slice(&mac[..16]);
        handle
    }

    /// The check values of the keys, current first: what a node records so
    /// that a node holding another key refuses to start
    /// ([`check_secret_key`]). Derived one way from the key.
    pub fn check_values(&self) -> Vec<String> {
        self.keys
            .iter()
            .map(|key| callrec_domain::hex::hex(&keyed(key, "callrec-key-check")[..16]))
            .collect()
    }

    /// Whether `stored` was encrypted with an older key.
    pub fn needs_rotation(&self, stored: &str) -> bool {
        stored.split('.').nth(1) != Some(self.current_key_id())
    }
}

/// What [`check_secret_key`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyCheck {
    /// The first node: its key's check value is now the one.
    Recorded,
    /// The same key as the nodes before.
    Matches,
    /// The recorded key is this node's previous one: the check value now
    /// names the current key (a rotation).
    Rotated,
}

/// This node's master key against the one every node must share: the
/// first start records its check value, and a node whose keys (current or
/// previous) do not give the recorded value gets an error saying what to
/// do, before it can write anything the others could not read.
pub async fn check_secret_key(
    store: &callrec_store::Store,
    keyring: &Keyring,
    now: i64,
) -> Result<KeyCheck, crate::Error> {
    let values = keyring.check_values();
    let (recorded, inserted) = store.secret_key_check(&values[0], now).await?;
    if recorded == values[0] {
        return Ok(if inserted {
            KeyCheck::Recorded
        } else {
            KeyCheck::Matches
        });
    }
    if values[1..].contains(&recorded) {
        store
            .replace_secret_key_check(&recorded, &values[0], now)
            .await?;
        return Ok(KeyCheck::Rotated);
    }
    Err(crate::Error::Refused(
        "this node's master key (CALLREC_SECRET_KEY, or the mfa-keys file in its data directory) \
         is not the one the database was set up with: every node must use the same key. Copy \
         CALLREC_SECRET_KEY from a running node (or make one with `callrec keys generate` and \
         give it to every node before the first start)"
            .into(),
    ))
}

fn keyed(key: &Key, message: &str) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key.hashing)
        .expect("HMAC takes a key of any length");
    mac.update(message.as_bytes());
    mac.finalize().into_bytes().into()
}

fn recovery_hash(key: &Key, user: UserId, code: &RecoveryCode) -> String {
    callrec_domain::hex::hex(&keyed(key, &format!("{}:{}", user.0, code.canonical())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> TotpSecret {
        TotpSecret::from_bytes(*b"12345678901234567890")
    }

    #[test]
    fn round_trip_and_binding_to_the_user() {
        let ring = Keyring::new([7; 32], &[]);
        let stored = ring.encrypt(UserId(1), &secret());
        assert!(stored.starts_with(&format!("v1.{}.", ring.current_key_id())));
        assert!(!stored.contains("GEZD") && !stored.contains("1234567890"));
        assert_eq!(ring.decrypt(UserId(1), &stored), Ok(secret()));
        assert_eq!(
            ring.decrypt(UserId(2), &stored),
            Err(SecretError::Undecryptable)
        );
        assert_ne!(
            stored,
            ring.encrypt(UserId(1), &secret()),
            "a fresh nonce every time"
        );
    }

    #[test]
    fn rotation_keeps_old_secrets_readable() {
        let old = Keyring::new([1; 32], &[]);
        let stored = old.encrypt(UserId(5), &secret());
        let rotated = Keyring::new([2; 32], &[[1; 32]]);
        assert!(rotated.needs_rotation(&stored));
        assert_eq!(rotated.decrypt(UserId(5), &stored), Ok(secret()));
        let again = rotated.encrypt(UserId(5), &secret());
        assert!(!rotated.needs_rotation(&again));
        let only_new = Keyring::new([2; 32], &[]);
        assert_eq!(
            only_new.decrypt(UserId(5), &stored),
            Err(SecretError::UnknownKey(key_id(&[1; 32])))
        );
    }

    #[test]
    fn recovery_hashes_are_keyed_and_bound_to_the_user() {
        let code = RecoveryCode::from_bytes([1, 2, 3, 4, 5]);
        let ring = Keyring::new([7; 32], &[]);
        let hash = ring.recovery_hash(UserId(1), &code);
        assert_eq!(hash.len(), 64);
        assert!(!hash.contains(code.canonical()));
        assert_eq!(hash, ring.recovery_hash(UserId(1), &code), "deterministic");
        assert_ne!(hash, ring.recovery_hash(UserId(2), &code));
        assert_ne!(
            hash,
            Keyring::new([8; 32], &[]).recovery_hash(UserId(1), &code)
        );
        let rotated = Keyring::new([8; 32], &[[7; 32]]);
        let candidates = rotated.recovery_candidates(UserId(1), &code);
        assert_eq!(candidates.len(), 2);
        assert_eq!(
            candidates[1], hash,
            "a code made before rotation still matches"
        );
    }

    #[test]
    fn garbage_is_refused() {
        let ring = Keyring::new([7; 32], &[]);
        let id = ring.current_key_id().to_string();
        for bad in [
            "",
            "v1",
            "v2.x.y",
            &format!("v1.{id}.!!!"),
            &format!("v1.{id}.AAAA"),
        ] {
            assert!(ring.decrypt(UserId(1), bad).is_err(), "{bad}");
        }
        let mut stored = ring.encrypt(UserId(1), &secret());
        // Another last character (a fixed 'A' was no change 1 time in 64).
        let last = stored.pop().expect("not empty");
        stored.push(if last == 'A' { 'B' } else { 'A' });
        assert!(
            ring.decrypt(UserId(1), &stored).is_err(),
            "tampering is detected"
        );
    }
}
