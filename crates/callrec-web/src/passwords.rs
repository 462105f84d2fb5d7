//! Argon2id hashing off the async threads, with bounded concurrency so a
//! burst of sign-ins cannot exhaust memory.

use crate::{AppError, Argon2Settings};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::Arc;
use tokio::sync::Semaphore;

#[derive(Clone)]
pub struct Passwords {
    params: Params,
    /// Verified against when the username is unknown, so that unknown and
    /// known usernames take the same time.
    dummy_hash: Arc<str>,
    permits: Arc<Semaphore>,
}

impl Passwords {
    pub fn new(settings: &Argon2Settings) -> Result<Passwords, AppError> {
        let params = Params::new(
            settings.memory_kib,
            settings.iterations,
            settings.parallelism,
            None,
        )
        .map_err(|err| AppError::Internal(format!("invalid Argon2 settings: {err}")))?;
        let dummy_hash = hash_with(&params, "callrec timing equaliser")?.into();
        Ok(Passwords {
            params,
            dummy_hash,
            permits: Arc::new(Semaphore::new(4)),
        })
    }

    pub async fn hash(&self, password: &str) -> Result<String, AppError> {
        let _permit = self.permits.acquire().await.map_err(internal)?;
        let params = self.params.clone();
        let password = password.to_string();
        tokio::task::spawn_blocking(move || hash_with(&params, &password))
            .await
            .map_err(internal)?
    }

    /// Checks `password` against `hash`, or against a dummy hash when there
    /// is no user, taking the same time either way.
    pub async fn verify(&self, hash: Option<&str>, password: &str) -> Result<bool, AppError> {
        let _permit = self.permits.acquire().await.map_err(internal)?;
        let real = hash.is_some();
        let hash = hash.map_or_else(|| self.dummy_hash.to_string(), str::to_string);
        let password = password.to_string();
        let matched = tokio::task::spawn_blocking(move || {
            PasswordHash::new(&hash).is_ok_and(|parsed| {
                // The parameters stored in the hash are used, so hashes made
                // with older settings keep working.
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
        })
        .await
        .map_err(internal)?;
        Ok(real && matched)
    }
}

fn hash_with(params: &Params, password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|err| AppError::Internal(format!("password hashing failed: {err}")))
}

fn internal(err: impl std::fmt::Display) -> AppError {
    AppError::Internal(err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> Passwords {
        Passwords::new(&Argon2Settings {
            memory_kib: 256,
            iterations: 1,
            parallelism: 1,
        })
        .unwrap()
    }

    #[tokio::test]
    async fn hashes_are_argon2id_and_verify() {
        let passwords = cheap();
        let hash = passwords.hash("correct horse battery").await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=256,t=1,p=1$"), "{hash}");
        assert!(passwords
            .verify(Some(&hash), "correct horse battery")
            .await
            .unwrap());
        assert!(!passwords
            .verify(Some(&hash), "wrong horse battery")
            .await
            .unwrap());
        assert!(!passwords
            .verify(None, "callrec timing equaliser")
            .await
            .unwrap());
        assert!(!passwords.verify(Some("not a hash"), "x").await.unwrap());
    }

    #[test]
    fn bad_settings_are_refused() {
        let err = Passwords::new(&Argon2Settings {
            memory_kib: 1,
            iterations: 0,
            parallelism: 1,
        });
        assert!(err.is_err());
    }
}
