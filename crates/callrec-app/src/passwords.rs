//! Argon2id hashing off the async threads, with bounded concurrency so a
//! burst of sign-ins cannot exhaust memory.

use crate::Error;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Argon2id cost. The defaults are OWASP's minimum for Argon2id
/// (19 MiB, 2 passes, 1 lane).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Settings {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for Argon2Settings {
    fn default() -> Self {
        Argon2Settings {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

#[derive(Clone)]
pub struct Passwords {
    params: Params,
    /// Verified against when the username is unknown, so that unknown and
    /// known usernames take the same time.
    dummy_hash: Arc<str>,
    /// The least time a check takes: one check with the current settings,
    /// measured at the first check (not at start: most commands never check
    /// a password). A hash made with cheaper settings is checked
    /// faster, so every check is padded to this; otherwise an old account
    /// answers in 6 ms where an unknown name takes 30 (security review,
    /// item 8). Rehashing at sign-in then removes the old hashes.
    floor: Arc<tokio::sync::OnceCell<Duration>>,
    permits: Arc<Semaphore>,
}

impl Passwords {
    pub fn new(settings: &Argon2Settings) -> Result<Passwords, Error> {
        let params = Params::new(
            settings.memory_kib,
            settings.iterations,
            settings.parallelism,
            None,
        )
        .map_err(|err| Error::Internal(format!("invalid Argon2 settings: {err}")))?;
        let dummy_hash: Arc<str> = hash_with(&params, "callrec timing equaliser")?.into();
        Ok(Passwords {
            params,
            dummy_hash,
            floor: Arc::default(),
            permits: Arc::new(Semaphore::new(4)),
        })
    }

    /// The least time `verify` takes: the quicker of two checks with the
    /// current settings, so one slow moment does not slow every sign-in.
    pub async fn floor(&self) -> Result<Duration, Error> {
        self.floor
            .get_or_try_init(|| async {
                let dummy = self.dummy_hash.clone();
                tokio::task::spawn_blocking(move || {
                    (0..2)
                        .map(|_| {
                            let started = Instant::now();
                            check(&dummy, "measuring");
                            started.elapsed()
                        })
                        .min()
                        .unwrap_or_default()
                })
                .await
                .map_err(&internal)
            })
            .await
            .copied()
    }

    /// Whether `hash` was made with other settings than the current ones
    /// (or is not Argon2id), so a successful sign-in should replace it.
    pub fn needs_rehash(&self, hash: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(hash) else {
            return true;
        };
        let current = (
            self.params.m_cost(),
            self.params.t_cost(),
            self.params.p_cost(),
        );
        parsed.algorithm != Algorithm::Argon2id.ident()
            || Params::try_from(&parsed)
                .map(|p| (p.m_cost(), p.t_cost(), p.p_cost()) != current)
                .unwrap_or(true)
    }

    pub async fn hash(&self, password: &str) -> Result<String, Error> {
        let _permit = self.permits.acquire().await.map_err(&internal)?;
        let params = self.params.clone();
        let password = password.to_string();
        tokio::task::spawn_blocking(move || hash_with(&params, &password))
            .await
            .map_err(&internal)?
    }

    /// Checks `password` against `hash`, or against a dummy hash when there
    /// is no user, taking the same time either way.
    pub async fn verify(&self, hash: Option<&str>, password: &str) -> Result<bool, Error> {
        let floor = self.floor().await?;
        let started = Instant::now();
        let _permit = self.permits.acquire().await.map_err(&internal)?;
        let real = hash.is_some();
        let hash = hash.map_or_else(|| self.dummy_hash.to_string(), str::to_string);
        let password = password.to_string();
        let matched = tokio::task::spawn_blocking(move || check(&hash, &password))
            .await
            .map_err(&internal)?;
        if let Some(rest) = floor.checked_sub(started.elapsed()) {
            tokio::time::sleep(rest).await;
        }
        Ok(real && matched)
    }
}

/// The parameters stored in the hash are used, so hashes made with older
/// settings keep working (until the next sign-in replaces them).
fn check(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

fn hash_with(params: &Params, password: &str) -> Result<String, Error> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|err| Error::Internal(format!("password hashing failed: {err}")))
}

fn internal(err: impl std::fmt::Display) -> Error {
    Error::Internal(err.to_string())
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

    #[tokio::test]
    async fn old_settings_are_noticed_and_checked_no_faster_than_current_ones() {
        let strong = Passwords::new(&Argon2Settings {
            memory_kib: 8 * 1024,
            iterations: 2,
            parallelism: 1,
        })
        .unwrap();
        let weak_hash = cheap().hash("old phrase here").await.unwrap();
        let strong_hash = strong.hash("new phrase here").await.unwrap();
        assert!(strong.needs_rehash(&weak_hash));
        assert!(!strong.needs_rehash(&strong_hash));
        assert!(strong.needs_rehash("$argon2i$v=19$m=256,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"));
        assert!(strong.needs_rehash("not a hash"));
        // A cheap stored hash is checked in about 1 ms; padded to the floor
        // of a current check it cannot tell a known name from an unknown one.
        let floor = strong.floor().await.unwrap();
        assert!(floor > Duration::from_millis(2), "{floor:?}");
        for hash in [Some(weak_hash.as_str()), None] {
            let started = Instant::now();
            strong.verify(hash, "old phrase here").await.unwrap();
            assert!(started.elapsed() >= floor, "{hash:?}");
        }
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
