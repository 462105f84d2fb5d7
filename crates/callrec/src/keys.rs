//! The keys that encrypt TOTP secrets at rest.
//!
//! From `CALLREC_SECRET_KEY` (base64 of 32 bytes; older keys, still needed to
//! read secrets not yet rotated, in `CALLREC_SECRET_KEY_PREVIOUS`, comma
//! separated) — the way for several nodes to share keys. Otherwise from the
//! file `mfa-keys` in the data directory, created on first start with mode
//! 0600: one key per line, the last one current.

use crate::error::CliError;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use callrec_app::audit::AuditContext;
use callrec_app::rotation::rotate_master_key;
use callrec_app::Keyring;
use callrec_store::Store;
use rand::RngCore;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub const KEY_FILE: &str = "mfa-keys";
const ENV_CURRENT: &str = "CALLREC_SECRET_KEY";
const ENV_PREVIOUS: &str = "CALLREC_SECRET_KEY_PREVIOUS";

fn decode(text: &str, source: &str) -> Result<[u8; 32], CliError> {
    STANDARD
        .decode(text.trim())
        .ok()
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
        .ok_or_else(|| {
            CliError::Usage(format!(
                "{source} must hold 32 bytes in base64 (make one with `openssl rand -base64 32`)"
            ))
        })
}

fn env_keys() -> Result<Option<Vec<[u8; 32]>>, CliError> {
    let Some(current) = std::env::var(ENV_CURRENT)
        .ok()
        .filter(|v| !v.trim().is_empty())
    else {
        return Ok(None);
    };
    let mut keys = vec![decode(&current, ENV_CURRENT)?];
    if let Ok(previous) = std::env::var(ENV_PREVIOUS) {
        for key in previous.split(',').filter(|k| !k.trim().is_empty()) {
            keys.push(decode(key, ENV_PREVIOUS)?);
        }
    }
    Ok(Some(keys))
}

fn key_file(data_dir: &Path) -> PathBuf {
    data_dir.join(KEY_FILE)
}

fn new_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut key);
    key
}

/// Writes the key file whole (temporary file, fsync, rename), mode 0600.
fn write_key_file(data_dir: &Path, keys: &[[u8; 32]]) -> Result<(), CliError> {
    let path = key_file(data_dir);
    let temporary = data_dir.join(format!("{KEY_FILE}.tmp"));
    let failed =
        |err: std::io::Error| CliError::Failed(format!("cannot write {}: {err}", path.display()));
    let _ = std::fs::remove_file(&temporary);
    let mut options = callrec_store::private::file_options();
    options.write(true).create_new(true);
    let mut file = options.open(&temporary).map_err(failed)?;
    for key in keys {
        writeln!(file, "{}", STANDARD.encode(key)).map_err(failed)?;
    }
    file.sync_all().map_err(failed)?;
    std::fs::rename(&temporary, &path).map_err(failed)
}

/// Keys from the file, oldest first; the file is created when missing.
fn file_keys(data_dir: &Path) -> Result<Vec<[u8; 32]>, CliError> {
    let path = key_file(data_dir);
    if !path.exists() {
        callrec_store::private::create_dir(data_dir).map_err(|err| {
            CliError::Failed(format!("cannot create {}: {err}", data_dir.display()))
        })?;
        write_key_file(data_dir, &[new_key()])?;
        tracing::info!(path = %path.display(), "generated the MFA secret key");
    }
    let text = std::fs::read_to_string(&path)
        .map_err(|err| CliError::Failed(format!("cannot read {}: {err}", path.display())))?;
    let keys = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| decode(line, &path.display().to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    if keys.is_empty() {
        return Err(CliError::Usage(format!(
            "{} holds no key; remove it to generate one",
            path.display()
        )));
    }
    Ok(keys)
}

fn keyring_from(newest_last: &[[u8; 32]]) -> Keyring {
    let mut keys = newest_last.to_vec();
    let current = keys.pop().expect("at least one key");
    keys.reverse();
    Keyring::new(current, &keys)
}

/// A new key for CALLREC_SECRET_KEY, in base64.
pub fn generate() -> String {
    STANDARD.encode(new_key())
}

pub fn load(data_dir: &Path) -> Result<Keyring, CliError> {
    match env_keys()? {
        Some(keys) => Ok(Keyring::new(keys[0], &keys[1..])),
        None => Ok(keyring_from(&file_keys(data_dir)?)),
    }
}

/// `callrec keys rotate`: a new current key (in the file; with
/// CALLREC_SECRET_KEY the operator sets the new key there), then every
/// stored secret re-encrypted with it.
pub async fn rotate(store: &Store, data_dir: &Path) -> Result<(), CliError> {
    let keyring = match env_keys()? {
        Some(keys) => {
            println!("Using the key in {ENV_CURRENT} as the current key.");
            Keyring::new(keys[0], &keys[1..])
        }
        None => {
            let mut keys = file_keys(data_dir)?;
            keys.push(new_key());
            write_key_file(data_dir, &keys)?;
            println!("Added a new key to {}.", key_file(data_dir).display());
            keyring_from(&keys)
        }
    };
    let current = keyring.current_key_id().to_string();
    println!("Current key id: {current}");
    let audit = AuditContext::command_line();
    let report = rotate_master_key(store, Arc::new(keyring), &audit, |done, total| {
        println!("  {done}/{total} secrets checked")
    })
    .await?;
    for (user, err) in &report.unreadable {
        eprintln!("user {user}: {err}");
    }
    println!(
        "Re-encrypted {} of {} secrets with key {current}.",
        report.secrets, report.total
    );
    println!(
        "Re-encrypted {} audio data keys with key {current}.",
        report.data_keys
    );
    if report.sso_secrets > 0 {
        println!(
            "Re-encrypted {} companies' single sign-on client secrets with key {current}.",
            report.sso_secrets
        );
    }
    if report.word_keys > 0 {
        println!(
            "Re-encrypted {} transcript word keys with key {current}.",
            report.word_keys
        );
    }
    if report.sip_passwords > 0 {
        println!(
            "Re-encrypted {} recording sources' SIP passwords with key {current}.",
            report.sip_passwords
        );
    }
    for source in &report.unreadable_sip_passwords {
        eprintln!(
            "recording source {source}: its SIP password does not open with the configured keys"
        );
    }
    if !report.unreadable_sip_passwords.is_empty() {
        return Err(CliError::Failed(format!(
            "{} recording sources' SIP passwords could not be read with the configured keys; add the missing key to {ENV_PREVIOUS} and run again, or set them anew (`callrec capture set-credentials`)",
            report.unreadable_sip_passwords.len()
        )));
    }
    if !report.unreadable.is_empty() {
        return Err(CliError::Failed(format!(
            "{} secrets could not be read with the configured keys; add the missing key to {ENV_PREVIOUS} (or the key file) and run again",
            report.unreadable.len()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use callrec_domain::retention::Retention;
    use callrec_domain::totp::TotpSecret;
    use callrec_domain::{CompanyName, DisplayName, Level, RoleSet, Username};
    use callrec_store::testing::TestDb;
    use callrec_store::NewUser;

    #[tokio::test]
    async fn rotation_re_encrypts_every_secret_with_the_new_key() {
        let db = TestDb::sqlite().await;
        let data_dir = db.data_dir().to_path_buf();
        let old = load(&data_dir).unwrap();
        let company = db
            .store
            .set_up(0, async |w| {
                w.create_company(&CompanyName::parse("Acme").unwrap(), Retention::Forever)
                    .await
            })
            .await
            .unwrap();
        let secret = TotpSecret::from_bytes([9; 20]);
        let mut users = Vec::new();
        for name in ["ann.one", "bea.two"] {
            let username = Username::parse(name).unwrap();
            let user = db
                .store
                .set_up(0, async |w| {
                    w.create_user(&NewUser {
                        company_id: company.id,
                        team_id: None,
                        username: &username,
                        display_name: &DisplayName::parse(name).unwrap(),
                        email: None,
                        extension: None,
                        level: Level::Company,
                        password: callrec_store::StoredPassword::permanent("x"),
                        roles: RoleSet::default(),
                    })
                    .await
                })
                .await
                .unwrap();
            db.store
                .set_up(0, async |w| {
                    w.start_mfa_registration(user.id, &old.encrypt(user.id, &secret), "s1")
                        .await
                })
                .await
                .unwrap();
            users.push(user.id);
        }
        rotate(&db.store, &data_dir).await.unwrap();
        let new = load(&data_dir).unwrap();
        assert_ne!(new.current_key_id(), old.current_key_id());
        for (user, ciphertext) in db.store.mfa_ciphertexts().await.unwrap() {
            assert!(users.contains(&user));
            assert!(!new.needs_rotation(&ciphertext), "{ciphertext}");
            assert_eq!(new.decrypt(user, &ciphertext).unwrap(), secret);
        }
        // A key file with garbage in it is refused with advice.
        std::fs::write(data_dir.join(KEY_FILE), "not a key\n").unwrap();
        let err = load(&data_dir).unwrap_err();
        assert!(
            err.to_string().contains("must hold 32 bytes in base64"),
            "{err}"
        );
    }
}
